import Foundation
import Reports
import SyncAudit
import Testing

/// Every renderer's output for the fixed reports, compared byte for byte with the files in
/// Golden/. A change in any output fails here until the files are regenerated on purpose:
///
///     PHS_UPDATE_GOLDEN=1 swift test --filter ReportsTests.GoldenTests
///
/// then review the diff (`git diff Tests/ReportsTests/Golden`) like any other change.
@Suite("Golden files")
struct GoldenTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var render: @Sendable () -> String
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        Case(file: "full.table.txt") { TableReport.render(ReportFixture.full, color: false) },
        Case(file: "full.table-color.txt") { TableReport.render(ReportFixture.full, color: true) },
        Case(file: "full.table-compact.txt") {
            TableReport.render(ReportFixture.full, layout: TableLayout(order: .waited, limit: 8, style: .compact, width: 100))
        },
        Case(file: "full.table-wrapped.txt") {
            TableReport.render(ReportFixture.full, layout: TableLayout(order: .name, style: .full, width: 72))
        },
        Case(file: "full.json") { JSONReport.render(ReportFixture.full) },
        Case(file: "full.semicolon.csv") { CSVReport.render(ReportFixture.full, delimiter: UInt8(ascii: ";")) },
        Case(file: "full.csv") { CSVReport.render(ReportFixture.full) },
        Case(file: "full.prom") { PrometheusReport.render(ReportFixture.full) },
        Case(file: "full.html") { HTMLReport.render(ReportFixture.full) },
        Case(file: "history.html") { HTMLReport.render(ReportFixture.withHistory) },
        Case(file: "clean.table.txt") { TableReport.render(ReportFixture.clean, color: false) },
        Case(file: "clean.json") { JSONReport.render(ReportFixture.clean) },
        Case(file: "clean.csv") { CSVReport.render(ReportFixture.clean) },
        Case(file: "clean.prom") { PrometheusReport.render(ReportFixture.clean) },
        Case(file: "clean.html") { HTMLReport.render(ReportFixture.clean) },
        Case(file: "uncertain.table.txt") { TableReport.render(ReportFixture.uncertain, color: false) },
        Case(file: "uncertain.json") { JSONReport.render(ReportFixture.uncertain) },
        Case(file: "uncertain.csv") { CSVReport.render(ReportFixture.uncertain) },
        Case(file: "uncertain.prom") { PrometheusReport.render(ReportFixture.uncertain) },
        Case(file: "uncertain.html") { HTMLReport.render(ReportFixture.uncertain) },
        // explain for a user of each rule the chain decides at a step of its own.
        Case(file: "explain.table.txt") {
            ["heidi", "sybil", "trent", "uma", "victor"].map { ExplanationReport.render(ReportFixture.explanation($0), color: false) }
                .joined(separator: "\n----\n\n")
        },
        Case(file: "explain.json") { ExplanationReport.json(ReportFixture.explanation("victor"), version: "1.0.0") },
        Case(file: "failure.html") {
            HTMLReport.renderFailure(at: ReportFixture.generatedAt, message: "cannot reach ldaps://dc01.corp.example <b>", lastGoodReport: ReportFixture.asOf, version: "1.0.0")
        },
        Case(file: "failure.prom") {
            PrometheusReport.renderFailure(at: ReportFixture.generatedAt, message: "ldap://dc01.corp.example: Can't contact LDAP server")
        },
    ]

    static let updating = ProcessInfo.processInfo.environment["PHS_UPDATE_GOLDEN"] == "1"

    @Test(arguments: cases)
    func golden(_ c: Case) throws {
        let actual = Data(c.render().utf8)
        if Self.updating {
            let url = Paths.testsFolder.appendingPathComponent("Golden").appendingPathComponent(c.file)
            try actual.write(to: url)
            print("updated \(url.path)")
            return
        }
        let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Golden").appendingPathComponent(c.file))
        let source = Paths.testsFolder.appendingPathComponent("Golden").appendingPathComponent(c.file)
        guard let expected = FileManager.default.contents(atPath: url.path) else {
            Issue.record("\(c.file) is missing: run PHS_UPDATE_GOLDEN=1 swift test --filter ReportsTests.GoldenTests")
            return
        }
        guard actual != expected else { return }
        let saved = FileManager.default.temporaryDirectory.appendingPathComponent("actual-" + c.file)
        try actual.write(to: saved)
        Issue.record("""
            \(c.file) differs from the golden file: \(Self.firstDifference(expected, actual))
            actual output saved to \(saved.path); diff it with \(source.path), and if the change is intended \
            regenerate with PHS_UPDATE_GOLDEN=1
            """)
    }

    /// The first line that differs, both ways.
    static func firstDifference(_ expected: Data, _ actual: Data) -> String {
        // Bytes, not Characters: "\r\n" is one Character and would hide CRLF lines.
        let a = expected.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let b = actual.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        func show(_ line: Data) -> String {
            let text = String(decoding: line, as: UTF8.self).debugDescription
            return text.count > 240 ? String(text.prefix(240)) + "…" : text
        }
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : nil, y = i < b.count ? b[i] : nil
            if x != y {
                return "line \(i + 1)\n  expected: \(x.map(show) ?? "<end of file>")\n  actual:   \(y.map(show) ?? "<end of file>")"
            }
        }
        return "same lines, different bytes"
    }
}
