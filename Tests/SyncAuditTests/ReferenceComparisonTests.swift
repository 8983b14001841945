import Foundation
@testable import SyncAudit
import Testing

/// The fast path (`SnapshotReader`'s in-place line reader, `Join`'s byte-keyed anchors and lazy
/// indexes, `Audit.run`) against a straightforward reference written the obvious way:
/// `JSONDecoder` for every snapshot line, dictionaries of text keys with an array per key, and
/// the same rule engine called user by user. 10,000 generated users with every finding code.
@Suite("Fast path and reference agree")
struct ReferenceComparisonTests {
    static let asOf = Date(timeIntervalSince1970: 1_700_000_000)
    static let settings = AuditSettings(asOf: asOf, asOfSource: .option)

    @Test("10,000 users, every finding code: the same users, join, findings and counts")
    func sameFindings() throws {
        let data = Dataset(users: 10_000)
        let snapshot = data.snapshot()

        var fastUsers: [DirectoryUser] = []
        let sections = try SnapshotReader.read(chunks: Self.chunks(snapshot, size: 65_536)) { fastUsers.append($0) }
        let referenceUsers = try Reference.decode(snapshot)
        #expect(sections.map(\.users) == [data.directory.count])
        #expect(fastUsers.count == referenceUsers.count)
        #expect(zip(fastUsers, referenceUsers).allSatisfy { $0 == $1 }, "a snapshot line read differently")

        let fast = Audit.run(directory: fastUsers, cloud: data.cloud, tenant: data.tenant, domains: data.domains, settings: Self.settings)
        let reference = Reference.run(directory: referenceUsers, cloud: data.cloud, tenant: data.tenant,
                                      domains: data.domains, settings: Self.settings)
        #expect(Set(fast.findings.map(\.code)) == Set(FindingCode.allCases), "the data set must show every code")
        #expect(fast.findings.count == reference.findings.count)
        let onlyFast = Set(fast.findings).subtracting(reference.findings), onlyReference = Set(reference.findings).subtracting(fast.findings)
        #expect(onlyFast.isEmpty && onlyReference.isEmpty,
                "\(onlyFast.count) findings only in the fast path (\(onlyFast.first.map { "\($0.identity): \($0.message)" } ?? "")), \(onlyReference.count) only in the reference (\(onlyReference.first.map { "\($0.identity): \($0.message)" } ?? ""))")
        #expect(fast.matched == reference.matched)
        #expect(fast.inSync == reference.inSync)
        // The join itself, outcome by outcome.
        let join = Join(directory: fastUsers, cloud: data.cloud), referenceJoin = Reference.join(directory: referenceUsers, cloud: data.cloud)
        let differing = zip(join.outcomes, referenceJoin.outcomes).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(differing.isEmpty, "\(differing.count) join outcomes differ, the first: \(differing.first.map { "user \($0.offset): \($0.element.0) against \($0.element.1)" } ?? "")")
        #expect(join.unmatchedCloudIndices == referenceJoin.unmatched)
    }

    @Test("Immutable IDs: canonical base64 of 16 bytes matches by bytes; any other text only as itself")
    func anchorsAsBytesOrText() {
        let guid = ObjectGUID(bytes: Array(0..<16).map { UInt8($0 * 17) })!
        #expect(ObjectGUID(canonicalBase64: guid.base64) == guid)
        #expect(guid.base64 == Data(guid.bytes).base64EncodedString())
        #expect(Data(base64Encoded: nonCanonical(guid)).map(Array.init) == guid.bytes, "Foundation reads it as the same bytes")
        #expect(ObjectGUID(canonicalBase64: nonCanonical(guid)) == nil)
        #expect(ObjectGUID(canonicalBase64: String(guid.base64.dropLast(2))) == nil)
        #expect(ObjectGUID(canonicalBase64: "not base64 at all!!!!!==") == nil)
        #expect(ObjectGUID(uuidString: guid.uuidString) == guid)
        #expect(ObjectGUID(uuidString: guid.uuidString.uppercased()) == guid)
        #expect(ObjectGUID(uuidString: "{" + guid.uuidString + "}") == nil)
    }

    static func chunks(_ data: Data, size: Int) -> () -> Data? {
        var offset = 0
        return {
            guard offset < data.count else { return nil }
            defer { offset += size }
            return data.subdata(in: offset..<min(offset + size, data.count))
        }
    }
}

/// The base64 of `guid` with a bit set that 16 bytes leave unused: the same bytes to a lenient
/// decoder, another text.
private func nonCanonical(_ guid: ObjectGUID) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    var text = Array(guid.base64)
    text[21] = alphabet[alphabet.firstIndex(of: text[21])! + 1]
    return String(text)
}

/// Users in every state the rules name, cycling through the cases; the cloud side built to put
/// each in its state.
private struct Dataset {
    var directory: [DirectoryUser] = []
    var cloud: [CloudUser] = []
    var tenant: TenantFacts
    var domains: [DirectoryDomain]
    static let base = "DC=bench,DC=example"

    init(users: Int) {
        let asOf = ReferenceComparisonTests.asOf
        let day: TimeInterval = 86_400
        func guid(_ i: Int, _ salt: UInt8 = 0) -> ObjectGUID {
            ObjectGUID(bytes: (0..<16).map { k in k < 8 ? UInt8(truncatingIfNeeded: i >> (8 * k)) : UInt8(k) &+ salt })!
        }
        func sid(_ i: Int) -> String { "S-1-5-21-1-2-3-\(1000 + i)" }
        for i in 0..<users {
            let name = String(format: "user%05d", i)
            // Passwords in sync were set more than 10 days ago, those not synced 2 days ago:
            // every change since the newest one that arrived failed (phs-stopped).
            var user = DirectoryUser(
                distinguishedName: "CN=\(name),OU=Site\(i % 7),\(Self.base)", samAccountName: name,
                userPrincipalName: "\(name)@bench.example", objectGUID: guid(i), objectSid: sid(i),
                pwdLastSet: .set(asOf - 10 * day - Double(i), raw: FileTime.ticks(from: asOf - 10 * day - Double(i))),
                userAccountControl: [.normalAccount, .dontExpirePassword], whenChanged: asOf - 20 * day, uSNChanged: Int64(i),
                structuralClass: "user", domain: "bench")
            var cloudUser: CloudUser? = CloudUser(
                id: "c-\(i)", userPrincipalName: "\(name)@bench.example", accountEnabled: true,
                lastPasswordChangeDateTime: user.pwdLastSet.date.map { $0 + 30 }, onPremisesImmutableId: guid(i).base64,
                onPremisesSyncEnabled: true, onPremisesSecurityIdentifier: sid(i), onPremisesSamAccountName: name,
                onPremisesDistinguishedName: user.distinguishedName, onPremisesDomainName: "bench.example")
            func changed(_ date: Date) { user.pwdLastSet = .set(date, raw: FileTime.ticks(from: date)) }
            switch i % 40 {
            case 1: // password-not-synced
                changed(asOf - 2 * day)
                cloudUser?.lastPasswordChangeDateTime = asOf - 3 * day
            case 2: // password-sync-pending
                changed(asOf - 600)
                cloudUser?.lastPasswordChangeDateTime = asOf - 3 * day
            case 3: changed(asOf + 3600) // changed-after-export
            case 4: user.pwdLastSet = .mustChange // temporary-password
            case 5: cloudUser = nil // not-in-cloud
            case 6: cloudUser?.onPremisesSyncEnabled = false // cloud-sync-disabled
            case 7: user.userAccountControl.insert(.accountDisable) // account-state-mismatch
            case 8: user.adminDescription = "PHSFiltered" // phs-excluded
            case 9: // ambiguous-match: two cloud users carry this anchor
                var twin = cloudUser!
                twin.id = "c-\(i)-twin"
                cloud.append(twin)
            case 10: // ambiguous-match by rivals: no anchor of its own, the SID of user i - 10
                user.objectGUID = guid(i, 99)
                user.objectSid = sid(i - 10)
                cloudUser = nil
            case 11: // anchor-mismatch: matched by SID, the cloud anchored elsewhere
                cloudUser?.onPremisesImmutableId = guid(i, 7).base64
            case 12: cloudUser?.onPremisesProvisioningErrors = ["PropertyConflict: proxyAddresses = smtp:\(name)@bench.example"]
            case 13: // password-change-unconfirmed
                changed(asOf - 2 * day)
                cloudUser?.lastPasswordChangeDateTime = asOf - 2 * day - 3600
                user.unicodePwdLastChanged = asOf - 3 * day
            case 14: // matched by mS-DS-ConsistencyGuid (16 bytes)
                user.consistencyGuid = Data(guid(i, 3).bytes)
                cloudUser?.onPremisesImmutableId = guid(i, 3).base64
            case 15: // a consistency GUID of another length: matched as text
                user.consistencyGuid = Data([UInt8(truncatingIfNeeded: i), UInt8(truncatingIfNeeded: i >> 8)] + Array(repeating: 0xC5, count: 18))
                cloudUser?.onPremisesImmutableId = user.consistencyGuid!.base64EncodedString()
            case 16: // matched by UPN only, in other letter case
                cloudUser?.onPremisesImmutableId = nil
                cloudUser?.onPremisesSecurityIdentifier = nil
                cloudUser?.userPrincipalName = "\(name)@BENCH.example"
            case 17: // the same 16 bytes in non-canonical base64: not the anchor, the SID matches
                cloudUser?.onPremisesImmutableId = nonCanonical(guid(i))
            case 18: // an orphan next to it: synced, claimed by nobody
                cloud.append(CloudUser(id: "orphan-\(i)", userPrincipalName: "gone\(i)@bench.example", onPremisesImmutableId: guid(i, 50).base64,
                                       onPremisesSyncEnabled: true, onPremisesDistinguishedName: "CN=gone\(i),OU=Old,\(Self.base)"))
            case 19: // a cloud-only account and one of a domain that could not be read: neither judged
                cloud.append(CloudUser(id: "cloud-\(i)", userPrincipalName: "guest\(i)@bench.example"))
                cloud.append(CloudUser(id: "emea-\(i)", userPrincipalName: "e\(i)@emea.example", onPremisesImmutableId: guid(i, 60).base64,
                                       onPremisesSyncEnabled: true, onPremisesDistinguishedName: "CN=e\(i),DC=emea,DC=example"))
            case 20: // password-time-ambiguous: a CSV time in the repeated hour, behind by one reading, not by the other
                changed(asOf - 2 * day)
                cloudUser?.lastPasswordChangeDateTime = asOf - 2 * day - 3600
                cloudUser?.lastPasswordChangeLaterReading = asOf - 2 * day
            case 21: cloudUser?.lastPasswordChangeDateTime = asOf - 2 * day // cloud-password-newer
            case 22: user.accountExpires = asOf - day // expired-on-premises
            case 23: user.userAccountControl.insert(.smartcardRequired) // smartcard-required
            case 24: user.structuralClass = "inetOrgPerson" // phs-unsupported-object
            default: break
            }
            directory.append(user)
            if let cloudUser { cloud.append(cloudUser) }
        }
        func job(_ id: String, schedule: String = "Active", status: String = "Active", failures: Int = 0, success: Date? = asOf - 600) -> CloudSyncJob {
            CloudSyncJob(configuration: "corp.example", servicePrincipalId: "sp-\(id)", id: "AD2AADPasswordHash.\(id)",
                         templateId: "AD2AADPasswordHash", scheduleState: schedule, statusCode: status,
                         successiveFailures: failures, lastSuccessEnded: success)
        }
        tenant = TenantFacts(lastPasswordSyncDateTime: asOf - 5 * 3600, onPremisesSyncEnabled: true, passwordSyncEnabled: false,
                             cloudSyncJobs: [job("q", status: "Quarantine"), job("p", schedule: "Paused"), job("f", failures: 3),
                                             job("s", success: asOf - day)])
        domains = [DirectoryDomain(name: "bench", namingContext: Self.base, source: "snapshot", readAt: asOf),
                   DirectoryDomain(name: "emea", namingContext: "DC=emea,DC=example", source: "snapshot", failure: "no DC answered")]
    }

    /// The directory side as `collect` writes it.
    func snapshot() -> Data {
        var data = try! Snapshot.encode(Snapshot.Header(collectedAt: ReferenceComparisonTests.asOf, server: "ldaps://dc1.bench.example",
                                                        baseDN: Self.base, domain: "bench"))
        data.append(0x0A)
        for user in directory {
            data.append(Snapshot.encode(user))
            data.append(0x0A)
        }
        data.append(Snapshot.encode(Snapshot.Trailer(users: directory.count)))
        data.append(0x0A)
        return data
    }
}

/// The comparison written the straightforward way, for the fast path to be checked against.
private enum Reference {
    /// A user line, field for field, for `JSONDecoder`.
    struct Line: Decodable {
        var distinguishedName: String
        var samAccountName: String
        var userPrincipalName: String?
        var objectGUID: String?
        var consistencyGuid: String?
        var objectSid: String?
        var pwdLastSet: String?
        var pwdLastSetRaw: String?
        var mustChangePassword: Bool
        var userAccountControl: UInt32
        var accountExpires: String?
        var lockedOut: Bool?
        var passwordExpired: Bool?
        var whenChanged: String?
        var uSNChanged: Int64?
        var adminDescription: String?
        var structuralClass: String?
        var unicodePwdLastChanged: String?
        var notes: [String]?
    }

    static func decode(_ snapshot: Data) throws -> [DirectoryUser] {
        let lines = snapshot.split(separator: 0x0A)
        let header = try JSONDecoder().decode(Snapshot.Header.self, from: lines[0])
        return try lines.dropFirst().dropLast().map { bytes in
            let u = try JSONDecoder().decode(Line.self, from: Data(bytes))
            let time = { (text: String?) in text.flatMap { Timestamp.parse($0) } }
            let pwd: PasswordLastSet = u.mustChangePassword ? .mustChange
                : time(u.pwdLastSet).map { .set($0, raw: Int64(u.pwdLastSetRaw!)!) } ?? .absent
            return DirectoryUser(
                distinguishedName: u.distinguishedName, samAccountName: u.samAccountName, userPrincipalName: u.userPrincipalName,
                objectGUID: u.objectGUID.flatMap { UUID(uuidString: $0) }.map { uuid in
                    withUnsafeBytes(of: uuid.uuid) { b in ObjectGUID(bytes: [b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]] + b[8...])! }
                },
                consistencyGuid: u.consistencyGuid.flatMap { Data(base64Encoded: $0) }, objectSid: u.objectSid, pwdLastSet: pwd,
                userAccountControl: UserAccountControl(rawValue: u.userAccountControl), accountExpires: time(u.accountExpires),
                lockedOut: u.lockedOut, passwordExpired: u.passwordExpired, whenChanged: time(u.whenChanged), uSNChanged: u.uSNChanged,
                adminDescription: u.adminDescription, structuralClass: u.structuralClass, unicodePwdLastChanged: time(u.unicodePwdLastChanged), notes: u.notes ?? [],
                domain: header.domainName)
        }
    }

    /// The join by text keys, an array of cloud users per key.
    static func join(directory: [DirectoryUser], cloud: [CloudUser]) -> (outcomes: [Join.Outcome], unmatched: [Int]) {
        var byAnchor: [String: [Int]] = [:], bySid: [String: [Int]] = [:], byUPN: [String: [Int]] = [:]
        for (index, user) in cloud.enumerated() {
            if let id = user.onPremisesImmutableId, !id.isEmpty { byAnchor[id, default: []].append(index) }
            if let sid = user.onPremisesSecurityIdentifier, !sid.isEmpty { bySid[sid.uppercased(), default: []].append(index) }
            if let upn = user.onPremisesUserPrincipalName ?? user.userPrincipalName, !upn.isEmpty { byUPN[upn.lowercased(), default: []].append(index) }
        }
        let first: [(MatchKey, [Int])?] = directory.map { user in
            if let text = user.consistencyGuid?.base64EncodedString(), let hits = byAnchor[text] { return (.consistencyGuid, hits) }
            if let text = user.objectGUID?.base64, let hits = byAnchor[text] { return (.immutableId, hits) }
            if let sid = user.objectSid, let hits = bySid[sid.uppercased()] { return (.sid, hits) }
            if let upn = user.userPrincipalName, let hits = byUPN[upn.lowercased()] { return (.upn, hits) }
            return nil
        }
        var claims: [Int: [Int]] = [:]
        for (d, match) in first.enumerated() where match?.1.count == 1 { claims[match!.1[0], default: []].append(d) }
        var claimed = Set<Int>()
        let outcomes: [Join.Outcome] = first.enumerated().map { d, match in
            guard let (key, hits) = match else { return .unmatched }
            claimed.formUnion(hits)
            if hits.count > 1 { return .ambiguous(by: key, cloudIndices: hits, otherDirectoryIndices: []) }
            let rivals = claims[hits[0]]!.filter { $0 != d }
            return rivals.isEmpty ? .matched(cloudIndex: hits[0], by: key) : .ambiguous(by: key, cloudIndices: hits, otherDirectoryIndices: rivals)
        }
        return (outcomes, cloud.indices.filter { !claimed.contains($0) })
    }

    /// Every rule, user by user, through the one rule engine.
    static func run(directory: [DirectoryUser], cloud: [CloudUser], tenant: TenantFacts?, domains: [DirectoryDomain],
                    settings: AuditSettings) -> (findings: [Finding], matched: Int, inSync: Int) {
        let rules = Rules(settings: settings, syncStateKnown: cloud.contains { $0.onPremisesSyncEnabled == true })
        var scope = DomainScope(domains)
        let (outcomes, unmatched) = join(directory: directory, cloud: cloud)
        var findings: [Finding] = []
        var matched = 0, inSync = 0
        var newestArrived: Date?
        for (user, outcome) in zip(directory, outcomes) {
            let pairing: Pairing = switch outcome {
            case .unmatched: .unmatched
            case .matched(let c, let key): .matched(cloud[c], by: key)
            case .ambiguous(let key, let cs, let rivals): .ambiguous(by: key, cloud: cs.map { cloud[$0] }, rivals: rivals.map { directory[$0] })
            }
            var isMatched = false
            if case .matched = pairing { isMatched = true; matched += 1 }
            let trace = rules.judge(user, pairing, withFacts: false)
            findings += trace.findings
            let synced = trace.inSync && user.pwdLastSet.date != nil
            if synced {
                inSync += 1
                newestArrived = max(newestArrived ?? .distantPast, user.pwdLastSet.date!)
            }
            scope.tally(user, matched: isMatched, inSync: synced)
        }
        for index in unmatched {
            if case .judge(let domain) = scope.judges(cloud[index], syncStateKnown: rules.syncStateKnown), var finding = rules.orphan(cloud[index]) {
                finding.domain = domain
                findings.append(finding)
            }
        }
        findings += scope.unreachableFindings()
        findings += rules.tenant(tenant, userFindings: findings, newestArrived: newestArrived)
        return (findings, matched, inSync)
    }
}
