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
        var byImmutableId: [String: [Int]] = [:]
        var bySid: [String: [Int]] = [:]
        var byUPN: [String: [Int]] = [:]
        for (index, user) in cloud.enumerated() {
            if let id = user.onPremisesImmutableId, !id.isEmpty { byImmutableId[id, default: []].append(index) }
            if let sid = user.onPremisesSecurityIdentifier, !sid.isEmpty { bySid[sid.uppercased(), default: []].append(index) }
            if let upn = user.onPremisesUserPrincipalName ?? user.userPrincipalName, !upn.isEmpty {
                byUPN[upn.lowercased(), default: []].append(index)
            }
        }

        // First pass: each directory user's first matching key and its candidates.
        var firstMatch: [(key: MatchKey, candidates: [Int])?] = []
        firstMatch.reserveCapacity(directory.count)
        for user in directory {
            var found: (MatchKey, [Int])?
            if let guid = user.consistencyGuid?.base64EncodedString(), let hits = byImmutableId[guid] {
                found = (.consistencyGuid, hits)
            } else if let guid = user.objectGUID?.base64, let hits = byImmutableId[guid] {
                found = (.immutableId, hits)
            } else if let sid = user.objectSid, let hits = bySid[sid.uppercased()] {
                found = (.sid, hits)
            } else if let upn = user.userPrincipalName, let hits = byUPN[upn.lowercased()] {
                found = (.upn, hits)
            }
            firstMatch.append(found.map { (key: $0.0, candidates: $0.1) })
        }

        // Second pass: a cloud user claimed by several directory users is ambiguous for all of them.
        var claims: [Int: [Int]] = [:]
        for (directoryIndex, match) in firstMatch.enumerated() {
            if let match, match.candidates.count == 1 {
                claims[match.candidates[0], default: []].append(directoryIndex)
            }
        }
        var claimed = Set<Int>()
        outcomes = firstMatch.enumerated().map { directoryIndex, match in
            guard let match else { return .unmatched }
            match.candidates.forEach { claimed.insert($0) }
            if match.candidates.count > 1 {
                return .ambiguous(by: match.key, cloudIndices: match.candidates, otherDirectoryIndices: [])
            }
            let rivals = claims[match.candidates[0], default: []].filter { $0 != directoryIndex }
            if !rivals.isEmpty {
                return .ambiguous(by: match.key, cloudIndices: match.candidates, otherDirectoryIndices: rivals)
            }
            return .matched(cloudIndex: match.candidates[0], by: match.key)
        }
        unmatchedCloudIndices = cloud.indices.filter { !claimed.contains($0) }
    }
}
