import Foundation
import SyncAudit
import Testing

/// The one rule engine: `check` and `explain` read the same trace.
@Suite("Rule trace: explain is check for one user")
struct RuleTraceTests {
    static let hour: TimeInterval = 3600

    /// A scope with a user in every state, including rivals for one cloud user.
    static func scope() -> ([DirectoryUser], [CloudUser]) {
        let other = ObjectGUID(uuidString: "00000000-0000-0000-0000-000000000001")!.base64
        func guid(_ n: Int) -> ObjectGUID { ObjectGUID(uuidString: String(format: "00000000-0000-0000-0000-%012d", n + 100))! }
        let old = Fixture.asOf.addingTimeInterval(-30 * hour)
        var directory: [DirectoryUser] = []
        var cloud: [CloudUser] = []
        func pair(_ name: String, _ n: Int, pwd: PasswordLastSet = .set(Fixture.asOf.addingTimeInterval(-2 * hour), raw: 1),
                  enabled: Bool = true, admin: String? = nil, cloudEnabled: Bool = true, anchor: String? = nil,
                  sid: String? = nil, lastChange: Date? = old, syncEnabled: Bool? = true, cloudUser: Bool = true) {
            directory.append(Fixture.user(name, pwdLastSet: pwd, enabled: enabled, adminDescription: admin, guid: guid(n),
                                          sid: "S-1-5-21-1-2-3-\(n)"))
            if cloudUser {
                cloud.append(Fixture.cloud(name, lastChange: lastChange, immutableId: anchor ?? guid(n).base64, sid: sid,
                                           enabled: cloudEnabled, syncEnabled: syncEnabled))
            }
        }
        pair("synced", 1, lastChange: Fixture.asOf)
        pair("notsynced", 2)
        pair("pending", 3, pwd: .set(Fixture.asOf.addingTimeInterval(-600), raw: 1))
        pair("late", 4, pwd: .set(Fixture.asOf.addingTimeInterval(600), raw: 1))
        pair("temp", 5, pwd: .mustChange)
        pair("disabled", 6, enabled: false)
        pair("missing", 7, cloudUser: false)
        pair("filtered", 8, admin: "PHSFiltered")
        pair("filteredmissing", 9, admin: "PHSFiltered", cloudUser: false)
        // The issue's case: matched by SID, anchored elsewhere, and enabled on one side only.
        pair("anchored", 10, enabled: false, anchor: other, sid: "S-1-5-21-1-2-3-10")
        pair("unsynced", 11, syncEnabled: false)
        pair("cloudnewer", 14, lastChange: Fixture.asOf.addingTimeInterval(-60))
        pair("expired", 15, lastChange: Fixture.asOf)
        directory[directory.count - 1].accountExpires = Fixture.asOf.addingTimeInterval(-hour)
        pair("smartcard", 16, lastChange: Fixture.asOf)
        directory[directory.count - 1].userAccountControl.insert(.smartcardRequired)
        pair("inetorg", 17)
        directory[directory.count - 1].structuralClass = "inetOrgPerson"
        // Two directory users claim one cloud user by UPN.
        var rival1 = Fixture.user("rival1", guid: guid(12), sid: "S-1-5-21-1-2-3-12", upn: "rival@corp.example")
        var rival2 = Fixture.user("rival2", guid: guid(13), sid: "S-1-5-21-1-2-3-13", upn: "rival@corp.example")
        rival1.pwdLastSet = .set(Fixture.asOf.addingTimeInterval(-2 * hour), raw: 1)
        rival2.pwdLastSet = rival1.pwdLastSet
        directory += [rival1, rival2]
        cloud.append(CloudUser(id: "id-rival", userPrincipalName: "rival@corp.example", accountEnabled: true,
                               lastPasswordChangeDateTime: old, onPremisesSyncEnabled: true))
        cloud.append(Fixture.cloud("orphan", immutableId: guid(99).base64))
        return (directory, cloud)
    }

    @Test("For every user, explain's findings are exactly check's findings for that user")
    func explainEqualsCheck() throws {
        let (directory, cloud) = Self.scope()
        let check = try Audit.judge(directory: directory, cloud: cloud, settings: Fixture.settings())
        for index in directory.indices {
            let result = try Audit.judge(directory: directory, cloud: cloud, settings: Fixture.settings(), explaining: [index])
            let explanation = Explanation(result, index: index, directory: directory)
            let fromCheck = check.findings.filter { $0.scope == .user && $0.directoryUser == directory[index] }
            let fromExplain = explanation.findings.filter { $0.scope == .user }
            #expect(Set(fromExplain) == Set(fromCheck), "\(directory[index].samAccountName)")
            #expect(explanation.steps.map(\.rule) == RuleStep.allCases)
        }
    }

    @Test("An anchor mismatch ends the chain: the account state is not reached, in check and in explain")
    func anchorEndsTheChain() throws {
        let (directory, cloud) = Self.scope()
        let index = try #require(directory.firstIndex { $0.samAccountName == "anchored" })
        let result = try Audit.judge(directory: directory, cloud: cloud, settings: Fixture.settings(), explaining: [index])
        let explanation = Explanation(result, index: index, directory: directory)
        #expect(explanation.findings.map(\.code) == [.anchorMismatch])
        let outcome = { (rule: RuleStep) in explanation.steps.first { $0.rule == rule }?.outcome }
        #expect(outcome(.accountState) == .notReached)
        #expect(outcome(.cloudSync) == .notReached)
        #expect(outcome(.password) == .notReached)
        #expect(explanation.matchedBy == .sid)
        #expect(!result.findings.contains { $0.code == .accountStateMismatch && $0.directoryUser == directory[index] })
    }

    @Test("A cloud user claimed by two directory users is ambiguous for each, in explain too")
    func rivals() throws {
        let (directory, cloud) = Self.scope()
        let index = try #require(directory.firstIndex { $0.samAccountName == "rival1" })
        let result = try Audit.judge(directory: directory, cloud: cloud, settings: Fixture.settings(), explaining: [index])
        let explanation = Explanation(result, index: index, directory: directory)
        #expect(explanation.findings.map(\.code) == [.ambiguousMatch])
        let join = try #require(explanation.steps.first { $0.rule == .join })
        #expect(join.facts.contains("also claimed by rival2"))
    }

    @Test("Facts are written only for the users explained")
    func factsOnlyWhenAsked() throws {
        let (directory, cloud) = Self.scope()
        let result = Audit.run(directory: directory, cloud: cloud, settings: Fixture.settings(), explaining: [1])
        #expect(result.traces.keys.sorted() == [1])
        let password = try #require(result.traces[1]?.steps.first { $0.rule == .password })
        #expect(password.facts.contains("pwdLastSet"))
    }
}

@Suite("Never a false clean")
struct FalseCleanTests {
    static let hour: TimeInterval = 3600

    static func notSynced(syncEnabled: Bool?) -> ([DirectoryUser], [CloudUser]) {
        let user = Fixture.user(pwdLastSet: .set(Fixture.asOf.addingTimeInterval(-5 * hour), raw: 1))
        let cloud = Fixture.cloud(lastChange: Fixture.asOf.addingTimeInterval(-50 * hour), syncEnabled: syncEnabled)
        return ([user], [cloud, Fixture.cloud("cloudonly", immutableId: "Y2xvdWQ=", syncEnabled: syncEnabled)])
    }

    @Test("No user with onPremisesSyncEnabled true: the property is unknown, the password is judged", arguments: [nil, false] as [Bool?])
    func syncStateUnknown(value: Bool?) throws {
        let (directory, cloud) = Self.notSynced(syncEnabled: value)
        let result = try Audit.judge(directory: directory, cloud: cloud, settings: Fixture.settings())
        #expect(result.findings.map(\.code) == [.passwordNotSynced])
        #expect(result.warnings.map(\.code) == [.syncStateUnknown])
    }

    @Test("With one synced user the property is believed")
    func syncStateKnown() throws {
        let (directory, cloud) = Self.notSynced(syncEnabled: true)
        let result = try Audit.judge(directory: directory, cloud: cloud, settings: Fixture.settings())
        #expect(result.findings.map(\.code) == [.passwordNotSynced, .orphanedCloudUser])
        #expect(result.warnings.isEmpty)
    }

    static func settings(source: AsOfSource, readAfter: TimeInterval, maxAge: TimeInterval = AuditSettings.defaultMaxExportAge) -> AuditSettings {
        AuditSettings(asOf: Fixture.asOf, asOfSource: source, directoryReadAt: Fixture.asOf.addingTimeInterval(readAfter), maxExportAge: maxAge)
    }

    @Test("An inferred asOf well before the directory read warns, with --as-of as the fix")
    func inferredEarly() throws {
        let (directory, cloud) = Self.notSynced(syncEnabled: true)
        let early = try Audit.judge(directory: directory, cloud: cloud, settings: Self.settings(source: .inferred, readAfter: 3 * Self.hour))
        let warning = try #require(early.warnings.first)
        #expect(warning.code == .asOfInferred)
        #expect(warning.message.contains("--as-of"))
        #expect(warning.message.contains("3 h before the directory was read"))
        // Within the grace: the newest timestamp is close to the read, nothing to say.
        let close = try Audit.judge(directory: directory, cloud: cloud, settings: Self.settings(source: .inferred, readAfter: 600))
        #expect(close.warnings.isEmpty)
        // Given by --as-of: known, not inferred.
        let given = try Audit.judge(directory: directory, cloud: cloud, settings: Self.settings(source: .option, readAfter: 3 * Self.hour))
        #expect(given.warnings.isEmpty)
    }

    @Test("An inferred asOf that many users changed after warns")
    func inferredManyLater() throws {
        let later = (0..<3).map { n in
            Fixture.user("late\(n)", pwdLastSet: .set(Fixture.asOf.addingTimeInterval(600), raw: 1),
                         guid: ObjectGUID(uuidString: "00000000-0000-0000-0000-00000000000\(n)")!, sid: "S-1-5-21-7-\(n)")
        }
        let cloud = later.map { Fixture.cloud($0.samAccountName, immutableId: $0.objectGUID!.base64) }
        let result = try Audit.judge(directory: later, cloud: cloud, settings: Self.settings(source: .inferred, readAfter: 700))
        #expect(result.findings.map(\.code) == Array(repeating: .changedAfterExport, count: 3))
        #expect(result.warnings.map(\.code) == [.asOfInferred])
        #expect(result.warnings[0].message.contains("3 users changed their password after it"))
    }

    @Test("A known export time older than --max-export-age is refused; an inferred one only warns")
    func exportAge() throws {
        let (directory, cloud) = Self.notSynced(syncEnabled: true)
        let error = #expect(throws: AuditRefusal.self) {
            try Audit.judge(directory: directory, cloud: cloud, settings: Self.settings(source: .option, readAfter: 30 * Self.hour))
        }
        let message = try #require(error?.message(directory: "dc", cloud: "users.json"))
        #expect(message.contains("1 d 6 h before the directory was read"))
        #expect(message.contains("--max-export-age"))
        let inferred = try Audit.judge(directory: directory, cloud: cloud, settings: Self.settings(source: .inferred, readAfter: 30 * Self.hour))
        #expect(inferred.warnings.map(\.code) == [.asOfInferred, .exportAge])
        // The limit is the option's.
        _ = try Audit.judge(directory: directory, cloud: cloud, settings: Self.settings(source: .option, readAfter: 30 * Self.hour, maxAge: 2 * 86_400))
    }

    @Test("An empty comparison is refused, never clean")
    func empty() {
        let settings = Fixture.settings()
        #expect(throws: AuditRefusal.noDirectoryUsers) { try Audit.judge(directory: [], cloud: [Fixture.cloud()], settings: settings) }
        #expect(throws: AuditRefusal.noCloudUsers) { try Audit.judge(directory: [Fixture.user()], cloud: [], settings: settings) }
        #expect(throws: AuditRefusal.nothingMatched(directoryUsers: 1, cloudUsers: 1)) {
            try Audit.judge(directory: [Fixture.user()], cloud: [Fixture.cloud(immutableId: "x", sid: nil)].map {
                var c = $0; c.userPrincipalName = "nobody@corp.example"; return c
            }, settings: settings)
        }
    }

    @Test("The tenant's userForcePasswordChangeOnLogonEnabled turns on temporary password sync")
    func tenantForce() {
        let user = Fixture.user(pwdLastSet: .mustChange)
        #expect(Fixture.codes([user], [Fixture.cloud()]) == [.temporaryPassword])
        let tenant = TenantFacts(userForcePasswordChangeOnLogonEnabled: true)
        let result = Audit.run(directory: [user], cloud: [Fixture.cloud()], tenant: tenant, settings: Fixture.settings())
        #expect(result.findings.isEmpty)
        #expect(result.settings.forcePasswordChangeOnLogon)
    }
}

@Suite("Finding catalogue")
struct CatalogueTests {
    @Test("Every code has a title, a meaning and a next step; tenant codes are the tenant's", arguments: FindingCode.allCases)
    func entries(code: FindingCode) {
        let entry = code.entry
        #expect(!entry.title.isEmpty && entry.meaning.hasSuffix(".") && entry.nextStep.hasSuffix("."))
        #expect((entry.scope == .tenant) == ((code.rawValue.hasPrefix("phs-") && code != .phsExcluded && code != .phsUnsupportedObject) || code.rawValue.hasPrefix("cloud-sync-phs-")))
    }
}

@Suite("PowerShell quoting")
struct PowerShellQuotingTests {
    /// Reads a PowerShell verbatim string back as PowerShell does: `''` (or a doubled
    /// typographic quote) is one quote, a lone quote ends the string. Returns the text and
    /// whatever follows the closing quote (which must be nothing).
    static func parse(_ quoted: String) -> (text: String, rest: String)? {
        let quotes: Set<Unicode.Scalar> = ["'", "\u{2018}", "\u{2019}", "\u{201A}", "\u{201B}"]
        var scalars = Array(quoted.unicodeScalars)[...]
        guard let first = scalars.popFirst(), quotes.contains(first) else { return nil }
        var text = String.UnicodeScalarView()
        while let c = scalars.popFirst() {
            if quotes.contains(c) {
                if let next = scalars.first, quotes.contains(next) {
                    text.append(c)
                    scalars = scalars.dropFirst()
                } else {
                    return (String(text), String(String.UnicodeScalarView(scalars)))
                }
            } else {
                text.append(c)
            }
        }
        return nil
    }

    @Test("Hostile values come back verbatim and nothing follows the string", arguments: [
        "CN=ps$(Start-Process calc.exe),OU=Staff,DC=corp,DC=example",
        "CN=O'Brien,DC=x", "CN=a'; Remove-Item C:\\ -Recurse; 'b,DC=x", "CN=\u{2019}; calc; \u{2018},DC=x",
        "CN=`$env:PATH`,DC=x", "CN=\"double\" $var,DC=x", "CN=line\nbreak,DC=x", "''''", "",
    ])
    func roundTrip(value: String) throws {
        let parsed = try #require(Self.parse(PowerShell.quote(value)))
        #expect(parsed.text == value)
        #expect(parsed.rest.isEmpty)
    }

    @Test func theTroubleshooterQuotesBothValues() {
        #expect(PowerShell.passwordSyncDiagnostics(connector: "corp.example", distinguishedName: "CN=ps$(calc),DC=x")
                == "Invoke-ADSyncDiagnostics -PasswordSync -ADConnectorName 'corp.example' -DistinguishedName 'CN=ps$(calc),DC=x'")
    }
}

@Suite("Snapshot reader")
struct SnapshotReaderTests {
    static func snapshot() throws -> Data {
        var data = try Snapshot.encode(Snapshot.Header(collectedAt: Fixture.asOf, server: "ldaps://dc1", baseDN: "DC=corp,DC=example"))
        data.append(0x0A)
        let names = ["alice", "Zoë", "日本語", "emoji😀", "o'brien"]
        for (n, name) in names.enumerated() {
            var user = Fixture.user(name, guid: ObjectGUID(uuidString: "00000000-0000-0000-0000-00000000000\(n)")!)
            user.adminDescription = "line \(n)"
            data.append(Snapshot.encode(user))
            data.append(contentsOf: n % 2 == 0 ? [0x0D, 0x0A] : [0x0A])   // CRLF and LF mixed
        }
        return data + trailer(names.count)
    }

    static func trailer(_ users: Int) -> Data {
        Snapshot.encode(Snapshot.Trailer(users: users)) + Data([0x0A])
    }

    static func read(_ data: Data, chunk: Int, limits: InputLimits = InputLimits()) throws(SnapshotReader.ReadError) -> (Snapshot.Header, [DirectoryUser]) {
        var offset = 0
        var users: [DirectoryUser] = []
        let sections = try SnapshotReader.read(chunks: {
            defer { offset = min(offset + chunk, data.count) }
            return data.subdata(in: offset..<min(offset + chunk, data.count))
        }, limits: limits) { users.append($0) }
        return (sections[0].header, users)
    }

    @Test("Any chunk size gives the same header and users, a UTF-8 sequence and a CRLF split across reads included",
          arguments: [1, 2, 3, 5, 7, 13, 64, 1 << 20])
    func chunkSizes(chunk: Int) throws {
        let data = try Self.snapshot()
        let reference = try Self.read(data, chunk: 1 << 20)
        let (header, users) = try Self.read(data, chunk: chunk)
        #expect(header == reference.0)
        #expect(users == reference.1)
        #expect(users.map(\.samAccountName) == ["alice", "Zoë", "日本語", "emoji😀", "o'brien"])
    }

    @Test("A bad line is named by its number at any chunk size", arguments: [1, 4, 1 << 20])
    func badLine(chunk: Int) throws {
        var data = try Self.snapshot().dropLast(Self.trailer(5).count)
        data.append(Data("{\"samAccountName\":\"x\"}\n".utf8))
        data.append(Self.trailer(6))
        #expect {
            _ = try Self.read(Data(data), chunk: chunk)
        } throws: { error in
            guard case .line(let line) = error as? SnapshotReader.ReadError else { return false }
            return line.line == 7 && line.reason.contains("missing field")
        }
    }

    @Test("A snapshot cut anywhere before its closing line is incomplete, never a smaller clean one")
    func truncated() throws {
        let data = try Self.snapshot()
        let header = try #require(data.firstIndex(of: 0x0A))
        let end = data.count - Self.trailer(5).count
        for cut in stride(from: header + 1, to: end, by: 7) {
            #expect {
                _ = try Self.read(data.prefix(cut), chunk: 64)
            } throws: { error in
                switch error as? SnapshotReader.ReadError {
                case .incomplete?: true
                case .line?: true   // cut inside a user line
                default: false
                }
            }
        }
        // The closing line alone, cut: not a closing line.
        #expect(throws: SnapshotReader.ReadError.self) { try Self.read(data.prefix(data.count - 3), chunk: 64) }
    }

    @Test("The closing line must count the users; nothing may follow it; version 1 is refused")
    func trailerRules() throws {
        let users = try Self.snapshot().dropLast(Self.trailer(5).count)
        #expect {
            _ = try Self.read(Data(users) + Self.trailer(4), chunk: 64)
        } throws: { error in
            if case .countMismatch(4, 5)? = error as? SnapshotReader.ReadError { return true }
            return false
        }
        #expect {
            _ = try Self.read(Data(users) + Self.trailer(5) + Self.trailer(5), chunk: 64)
        } throws: { error in
            if case .line(let line)? = error as? SnapshotReader.ReadError { return line.reason.contains("after the snapshot's closing line") }
            return false
        }
        // Another writer's spacing is fine: the closing line is read as JSON.
        let spaced = Data(users) + Data("{\"kind\": \"phs-check/ad-snapshot-end\", \"users\": 5}\n".utf8)
        #expect(try Self.read(spaced, chunk: 64).1.count == 5)
        let v1 = Data("{\"kind\":\"phs-check/ad-snapshot\",\"version\":1,\"collectedAt\":\"2024-01-01T00:00:00Z\",\"server\":\"x\",\"baseDN\":\"DC=x\"}\n".utf8)
        #expect {
            _ = try Self.read(v1, chunk: 64)
        } throws: { error in
            if case .line(let line)? = error as? SnapshotReader.ReadError { return line.reason.contains("no closing line to prove it is complete") }
            return false
        }
    }

    @Test func emptyInputIsNotASnapshot() {
        #expect {
            _ = try Self.read(Data(), chunk: 4)
        } throws: { error in
            if case .empty = error as? SnapshotReader.ReadError { return true }
            return false
        }
    }
}

@Suite("Input limits of the snapshot reader")
struct SnapshotLimitTests {
    @Test("A line past --max-record-size without ending is refused at that line, not held", arguments: [1, 512, 1 << 16])
    func endlessLine(chunk: Int) throws {
        let header = try Snapshot.encode(Snapshot.Header(collectedAt: Fixture.asOf, server: "x", baseDN: "DC=x")) + Data([0x0A])
        var sent = 0
        let zeros = Data(count: chunk)
        #expect {
            _ = try SnapshotReader.read(chunks: {
                sent += 1
                if sent == 1 { return header }
                guard sent < 100_000 else { Issue.record("the reader kept reading"); return nil }
                return zeros
            }, limits: InputLimits(maxRecordSize: 4096)) { _ in }
        } throws: { error in
            if case .lineTooLong(2, 4096)? = error as? SnapshotReader.ReadError { return true }
            return false
        }
    }

    @Test("A long line is refused the same whether it arrives in one chunk or many", arguments: [64, 1 << 20])
    func completeLongLine(chunk: Int) throws {
        var data = try Snapshot.encode(Snapshot.Header(collectedAt: Fixture.asOf, server: "x", baseDN: "DC=x")) + Data([0x0A])
        data += Data(repeating: 0x41, count: 5000) + Data([0x0A])
        #expect {
            _ = try SnapshotReaderTests.read(data, chunk: chunk, limits: InputLimits(maxRecordSize: 4096))
        } throws: { error in
            if case .lineTooLong(2, 4096)? = error as? SnapshotReader.ReadError { return true }
            return false
        }
    }

    @Test func sizes() {
        #expect(ByteSize.parse("1MiB") == 1 << 20)
        #expect(ByteSize.parse("512k") == 512 << 10)
        #expect(ByteSize.parse("4G") == 4 << 30)
        #expect(ByteSize.parse("100") == 100)
        #expect(ByteSize.parse("0") == nil && ByteSize.parse("-1k") == nil && ByteSize.parse("lots") == nil)
        #expect(ByteSize.format(1 << 20) == "1 MiB" && ByteSize.format(4 << 30) == "4 GiB" && ByteSize.format(1536) == "1.5 KiB")
    }
}
