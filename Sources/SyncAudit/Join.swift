import Foundation
/// The join of directory users to cloud users (docs/FINDINGS.md "Joining"): for each directory user
/// the first key that matches wins — `onPremisesImmutableId` against the base64 of
/// `mS-DS-ConsistencyGuid` then of `objectGUID`, then the SID, then the UPN
/// (case-insensitive). A key that matches several users on either side is ambiguous, never a
/// silent pick.
public struct Join: Sendable {
    public enum Outcome: Sendable, Hashable {
        case matched(cloudIndex: Int, by: MatchKey)
        /// The first key that matched found several cloud users, or the cloud user it found is
        /// claimed by several directory users.
        case ambiguous(by: MatchKey, cloudIndices: [Int], otherDirectoryIndices: [Int])
        case unmatched
    }

    /// One outcome per directory user, in the order given.
    public let outcomes: [Outcome]
    /// Cloud users that no directory user matched or claimed.
    public let unmatchedCloudIndices: [Int]

    public init(directory: [DirectoryUser], cloud: [CloudUser]) {
        // Immutable IDs keyed by their 16 bytes where the text is the canonical base64 of 16
        // bytes (every anchor Entra Connect writes), as text otherwise: equal bytes, equal text.
        var byAnchor = Index<ObjectGUID>(capacity: cloud.count)
        var byAnchorText = Index<String>()
        for (index, user) in cloud.enumerated() {
            guard let id = user.onPremisesImmutableId, !id.isEmpty else { continue }
            if let guid = ObjectGUID(canonicalBase64: id) { byAnchor.add(guid, index) } else { byAnchorText.add(id, index) }
        }
        func anchorHits(_ bytes: ObjectGUID?, _ text: @autoclosure () -> String?) -> Hits? {
            if let bytes { return byAnchor[bytes] }
            return byAnchorText.isEmpty ? nil : text().flatMap { byAnchorText[$0] }
        }
        // SIDs and UPNs are indexed only when a directory user needs them: in a healthy tenant
        // every user matches by its anchor.
        lazy var bySid: Index<String> = Index(cloud.enumerated().compactMap { index, user in
            user.onPremisesSecurityIdentifier.flatMap { $0.isEmpty ? nil : ($0.uppercased(), index) }
        })
        lazy var byUPN: Index<String> = Index(cloud.enumerated().compactMap { index, user in
            (user.onPremisesUserPrincipalName ?? user.userPrincipalName).flatMap { $0.isEmpty ? nil : ($0.lowercased(), index) }
        })

        // First pass: each directory user's first matching key and its candidates.
        var firstMatch: [(key: MatchKey, hits: Hits)?] = []
        firstMatch.reserveCapacity(directory.count)
        for user in directory {
            var found: (key: MatchKey, hits: Hits)?
            if let consistency = user.consistencyGuid,
               let hits = anchorHits(ObjectGUID(bytes: consistency), consistency.base64EncodedString()) {
                found = (.consistencyGuid, hits)
            } else if let guid = user.objectGUID, let hits = anchorHits(guid, guid.base64) {
                found = (.immutableId, hits)
            } else if let sid = user.objectSid, let hits = bySid[sid.uppercased()] {
                found = (.sid, hits)
            } else if let upn = user.userPrincipalName, let hits = byUPN[upn.lowercased()] {
                found = (.upn, hits)
            }
            firstMatch.append(found)
        }

        // Second pass: a cloud user claimed by several directory users is ambiguous for all of
        // them. Claims are counted in place; rivals are listed only for the cloud users claimed twice.
        var claims = [UInt8](repeating: 0, count: cloud.count)
        for match in firstMatch {
            if case .one(let cloudIndex)? = match?.hits, claims[cloudIndex] < 2 { claims[cloudIndex] += 1 }
        }
        var claimants: [Int: [Int]] = [:]
        for (directoryIndex, match) in firstMatch.enumerated() {
            if case .one(let cloudIndex)? = match?.hits, claims[cloudIndex] > 1 { claimants[cloudIndex, default: []].append(directoryIndex) }
        }
        var claimed = [Bool](repeating: false, count: cloud.count)
        outcomes = firstMatch.enumerated().map { directoryIndex, match in
            guard let match else { return .unmatched }
            switch match.hits {
            case .many(let candidates):
                candidates.forEach { claimed[$0] = true }
                return .ambiguous(by: match.key, cloudIndices: candidates, otherDirectoryIndices: [])
            case .one(let cloudIndex):
                claimed[cloudIndex] = true
                if let rivals = claimants[cloudIndex] {
                    return .ambiguous(by: match.key, cloudIndices: [cloudIndex], otherDirectoryIndices: rivals.filter { $0 != directoryIndex })
                }
                return .matched(cloudIndex: cloudIndex, by: match.key)
            }
        }
        unmatchedCloudIndices = cloud.indices.filter { !claimed[$0] }
    }
}

/// The cloud users a key found: one (almost always), or several.
private enum Hits {
    case one(Int)
    case many([Int])
}

/// Cloud users by one key, without an array per key: the first user of each key is kept
/// inline, the rare others apart.
private struct Index<Key: Hashable> {
    private var first: [Key: Int] = [:]
    private var more: [Key: [Int]] = [:]

    init(capacity: Int = 0) { first.reserveCapacity(capacity) }

    init(_ pairs: [(Key, Int)]) {
        first.reserveCapacity(pairs.count)
        for (key, index) in pairs { add(key, index) }
    }

    var isEmpty: Bool { first.isEmpty }

    mutating func add(_ key: Key, _ index: Int) {
        if let existing = first.updateValue(index, forKey: key) {
            first[key] = existing
            more[key, default: [existing]].append(index)
        }
    }

    subscript(key: Key) -> Hits? {
        guard let index = first[key] else { return nil }
        if let all = more[key] { return .many(all) }
        return .one(index)
    }
}
