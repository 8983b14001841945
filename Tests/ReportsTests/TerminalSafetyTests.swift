import Foundation
import Reports
import SyncAudit
import Testing

@Suite("Terminal output never carries the directory's control characters")
struct TerminalSafetyTests {
    /// Escape sequences, a bell, a C1 CSI, a right-to-left override, a zero-width space, a line separator.
    static let hostile = "evil\u{1B}]0;owned\u{07}\u{1B}[2J\u{9B}31m\u{202E}gpj.exe\u{200B}\u{2028}"

    static func isHostile(_ scalar: Unicode.Scalar) -> Bool {
        [0x1B, 0x07, 0x9B, 0x202E, 0x200B, 0x2028].contains(scalar.value)
    }

    static func report() -> AuditReport {
        let user = ReportFixture.user(1, hostile, pwdLastSet: ReportFixture.ago(3 * ReportFixture.day), dn: "CN=\(hostile),DC=corp,DC=example")
        let cloud = ReportFixture.cloud(1, hostile, lastChange: 30 * ReportFixture.day)
        let result = Audit.run(directory: [user], cloud: [cloud], settings: AuditSettings(asOf: ReportFixture.asOf, asOfSource: .option))
        return AuditReport(version: "test", generatedAt: ReportFixture.generatedAt,
                           directory: .init(source: "ldaps://dc\u{1B}[1m", baseDN: "DC=corp,DC=example", users: 1),
                           cloud: .init(source: "users.json", format: "graph-json", users: 1), result: result)
    }

    @Test("table: escape sequences in names, DNs and sources are neutralised")
    func table() throws {
        let report = Self.report()
        #expect(report.findings.map(\.code) == [.passwordNotSynced])
        let text = TableReport.render(report, color: false)
        #expect(!text.unicodeScalars.contains(where: Self.isHostile))
        #expect(text.contains("evil\u{FFFD}]0;owned"))
    }

    @Test("explain: the same for one user's facts and messages")
    func explain() throws {
        let report = Self.report()
        let user = try #require(report.findings.first?.directoryUser)
        let cloud = try #require(report.findings.first?.cloudUser)
        let result = try Audit.judge(directory: [user], cloud: [cloud], settings: report.result.settings, explaining: [0])
        let text = ExplanationReport.render(Explanation(result, index: 0, directory: [user]), color: false)
        #expect(!text.unicodeScalars.contains(where: Self.isHostile))
        #expect(text.contains("FAIL  Password"))
        // The command is still there, quoted for PowerShell; only its unsafe characters are replaced.
        #expect(text.contains("Run:  Invoke-ADSyncDiagnostics -PasswordSync -ADConnectorName 'corp.example' -DistinguishedName 'CN=evil\u{FFFD}"))
    }
}
