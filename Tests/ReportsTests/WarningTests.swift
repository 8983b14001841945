import Foundation
import Reports
import SyncAudit
import Testing

/// A run's warnings are in every report format: a job that only publishes the report still shows them.
@Suite("Run warnings in every report")
struct WarningReportTests {
    static let report = ReportFixture.uncertain
    static let codes = ["sync-state-unknown", "as-of-inferred"]

    @Test func theFixtureIsUncertainButClean() {
        #expect(Self.report.findings.isEmpty)
        #expect(Self.report.warnings.map(\.code.rawValue) == Self.codes)
    }

    @Test func table() {
        let text = TableReport.render(Self.report, color: false)
        #expect(text.contains("WARNINGS (2): this result is less than certain"))
        for code in Self.codes { #expect(text.contains(code)) }
        #expect(text.contains("Pass --as-of"))
    }

    @Test func json() throws {
        let object = try JSONSerialization.jsonObject(with: Data(JSONReport.render(Self.report).utf8)) as? [String: Any]
        let warnings = try #require(object?["warnings"] as? [[String: String]])
        #expect(warnings.map { $0["code"] } == Self.codes)
        #expect((object?["directory"] as? [String: Any])?["readAt"] as? String == "2024-03-04T17:00:00Z")
    }

    @Test func html() {
        let page = HTMLReport.render(Self.report)
        #expect(page.contains("This result is less than certain"))
        #expect(page.contains("verdict-warning\" role=\"status\">Not certain: 2 run warnings"))
        #expect(!page.contains("All in sync"))
    }

    @Test func csv() {
        let rows = CSVReport.render(Self.report).split(separator: "\r\n")
        #expect(rows.count == 3)
        #expect(rows[1].hasPrefix("warning,run-warning,run,"))
        #expect(rows[2].contains("as-of-inferred: "))
    }

    @Test func prometheus() {
        let text = PrometheusReport.render(Self.report)
        #expect(text.contains("\nphs_check_warnings 2\n"))
        #expect(text.contains("phs_check_warning{code=\"as-of-inferred\"} 1"))
        #expect(text.contains("phs_check_warning{code=\"tls-not-verified\"} 0"))
    }

    @Test("A failed run's page says it failed, and when the last good report was made")
    func failurePage() {
        let page = HTMLReport.renderFailure(at: ReportFixture.generatedAt, message: "cannot reach <dc>", lastGoodReport: ReportFixture.asOf, version: "1.0.0")
        #expect(page.contains("The run failed: no result"))
        #expect(page.contains("cannot reach &lt;dc&gt;"))
        #expect(page.contains("The last successful run finished at <time datetime=\"2024-03-04T12:00:00Z\">"))
        #expect(!page.contains("<script"))
    }
}
