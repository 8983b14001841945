import Foundation
@testable import SyncAudit
import Testing

@Suite("Accepted findings")
struct ExceptionTests {
    static let asOf = Timestamp.parse("2026-11-30T02:00:00Z")!

    static func finding(_ name: String, dn: String, code: FindingCode = .passwordNotSynced) -> Finding {
        let user = DirectoryUser(distinguishedName: dn, samAccountName: name, userPrincipalName: "\(name)@corp.example",
                                 objectGUID: nil, pwdLastSet: .set(asOf.addingTimeInterval(-86_400), raw: 1))
        return Finding(code: code, directoryUser: user, message: "m")
    }

    static func exception(_ subject: FindingException.Subject, code: FindingCode = .passwordNotSynced, expires: String = "2026-12-31", line: Int = 3) -> FindingException {
        FindingException(code: code, subject: subject, reason: "because", expires: Timestamp.parse(expires + "T00:00:00Z")!.addingTimeInterval(86_400), place: "ex.yaml line \(line)")
    }

    @Test("by user (sAMAccountName or UPN, any case) and by DN pattern; another code or user is not covered")
    func matching() {
        var findings = [
            Self.finding("alice", dn: "CN=Alice,OU=Staff,DC=corp,DC=example"),
            Self.finding("bob", dn: "CN=Bob,OU=Staff,DC=corp,DC=example"),
            Self.finding("svc-backup", dn: "CN=svc-backup,OU=Service Accounts,OU=IT,DC=corp,DC=example", code: .phsExcluded),
            Self.finding("carol", dn: "CN=Carol,OU=Staff,DC=corp,DC=example", code: .notInCloud),
        ]
        let warnings = FindingException.apply([
            Self.exception(.user("ALICE")),
            Self.exception(.user("carol@CORP.example")),
            Self.exception(.distinguishedName("*,ou=service accounts,*"), code: .phsExcluded),
        ], to: &findings, now: Self.asOf)
        #expect(warnings.isEmpty)
        #expect(findings.map { $0.accepted != nil } == [true, false, true, false])
        #expect(findings[0].accepted?.place == "ex.yaml line 3")
    }

    @Test("an expired exception accepts nothing and is a warning naming its line; it expires after its last day")
    func expiry() {
        var findings = [Self.finding("alice", dn: "CN=Alice,OU=Staff,DC=corp,DC=example")]
        let lastDay = Self.exception(.user("alice"), expires: "2026-11-30")
        #expect(FindingException.apply([lastDay], to: &findings, now: Self.asOf).isEmpty)
        #expect(findings[0].accepted != nil)

        findings[0].accepted = nil
        let expired = Self.exception(.user("alice"), expires: "2026-11-29", line: 7)
        let warnings = FindingException.apply([expired], to: &findings, now: Self.asOf)
        #expect(findings[0].accepted == nil)
        #expect(warnings.map(\.code) == [.exceptionExpired])
        #expect(warnings.first?.message.contains("ex.yaml line 7 (password-not-synced, user alice) expired on 2026-11-29") == true)
    }

    @Test("wildcards: * spans any text, commas included; no backtracking blow-up")
    func wildcard() {
        func m(_ p: String, _ t: String) -> Bool { Wildcard.matches(Array(p.unicodeScalars), Array(t.unicodeScalars)) }
        #expect(m("*,ou=a,dc=x", "cn=1,ou=b,ou=a,dc=x"))
        #expect(!m("*,ou=a,dc=x", "cn=1,ou=a,dc=y"))
        #expect(m("cn=*", "cn="))
        #expect(m("*", ""))
        #expect(!m("a*b", "a"))
        #expect(!m(String(repeating: "*a", count: 40) + "b", String(repeating: "a", count: 5000)))
    }

    @Test("in a run: accepted findings count toward no severity and not toward the domain's counts")
    func inARun() throws {
        let guid = ObjectGUID(uuidString: "42a9ee8f-f405-49d4-946c-4e23bfa6f7f1")!
        let changed = Self.asOf.addingTimeInterval(-86_400)
        let user = DirectoryUser(distinguishedName: "CN=alice,OU=Staff,DC=corp,DC=example", samAccountName: "alice",
                                 userPrincipalName: "alice@corp.example", objectGUID: guid, pwdLastSet: .set(changed, raw: 1))
        let cloud = CloudUser(id: "1", userPrincipalName: "alice@corp.example", accountEnabled: true,
                              lastPasswordChangeDateTime: changed.addingTimeInterval(-30 * 86_400),
                              onPremisesImmutableId: guid.base64, onPremisesSyncEnabled: true)
        var settings = AuditSettings(asOf: Self.asOf, asOfSource: .option)
        settings.exceptions = [Self.exception(.user("alice"))]
        let result = Audit.run(directory: [user], cloud: [cloud], settings: settings)
        let report = AuditReport(version: "t", generatedAt: Self.asOf, directory: .init(source: "s", baseDN: nil, users: 1),
                                 cloud: .init(source: "c", format: "graph-json", users: 1), result: result)
        #expect(result.findings.map(\.code) == [.passwordNotSynced])
        #expect(report.count(.error) == 0 && report.acceptedCount == 1)
        #expect(report.worstSeverity == nil)
        #expect(report.containers.isEmpty)
    }
}

@Suite("A cloud time read twice (the hour the clocks went back)")
struct AmbiguousHourTests {
    static let asOf = Timestamp.parse("2026-10-26T12:00:00Z")!
    static let guid = ObjectGUID(uuidString: "42a9ee8f-f405-49d4-946c-4e23bfa6f7f1")!

    static func run(pwdLastSet: String, earlier: String, later: String) -> AuditResult {
        let user = DirectoryUser(distinguishedName: "CN=alice,OU=Staff,DC=corp,DC=example", samAccountName: "alice",
                                 userPrincipalName: "alice@corp.example", objectGUID: guid,
                                 pwdLastSet: .set(Timestamp.parse(pwdLastSet)!, raw: 1))
        var cloud = CloudUser(id: "1", userPrincipalName: "alice@corp.example", accountEnabled: true,
                              lastPasswordChangeDateTime: Timestamp.parse(earlier), onPremisesImmutableId: guid.base64,
                              onPremisesSyncEnabled: true)
        cloud.lastPasswordChangeLaterReading = Timestamp.parse(later)
        return Audit.run(directory: [user], cloud: [cloud], settings: AuditSettings(asOf: asOf, asOfSource: .option, maxSkew: 60))
    }

    @Test("both readings in sync: the user is in sync, no finding")
    func agree() {
        // 25.10.2026 02:37:07 Europe/Berlin: 00:37:07Z or 01:37:07Z; the change was at 00:37:30Z, so
        // the cloud is within the skew before it by one reading, within the grace after it by the other.
        let result = Self.run(pwdLastSet: "2026-10-25T00:37:30Z", earlier: "2026-10-25T00:37:07Z", later: "2026-10-25T01:37:07Z")
        #expect(result.findings.isEmpty)
        #expect(result.inSync == 1)
    }

    @Test("the readings disagree: that user alone is password-time-ambiguous, naming both verdicts")
    func disagree() throws {
        // The change at 01:00Z: before it by one reading (not synced), after it by the other.
        let result = Self.run(pwdLastSet: "2026-10-25T01:00:00Z", earlier: "2026-10-25T00:37:07Z", later: "2026-10-25T01:37:07Z")
        let finding = try #require(result.findings.first)
        #expect(result.findings.map(\.code) == [.passwordTimeAmbiguous])
        #expect(finding.severity == .warning)
        #expect(finding.message.contains("read as 2026-10-25T00:37:07Z the user is password-not-synced, read as 2026-10-25T01:37:07Z in sync"), "\(finding.message)")
        #expect(result.inSync == 0)
    }
}
