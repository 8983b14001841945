import Foundation
@testable import Reports
import SyncAudit
import Testing

@Suite("Table layout")
struct TableLayoutTests {
    @Test("wrapping breaks only at spaces, keeps every word, and a word longer than the line stays whole")
    func wrapping() {
        let text = "The password of alice@corp.example changed on-premises at 2024-03-04T09:55:00Z, but CN=averyveryverylongcommonname,OU=Staff,DC=corp,DC=example never arrived."
        let wrapped = Wrapper(width: 40).lines(text, first: "    ", rest: "    ")
        let lines = wrapped.split(separator: "\n").map(String.init)
        #expect(lines.count > 3)
        #expect(lines.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ") == text)
        for line in lines where line.count > 40 {
            // Only a single word too long for any line may exceed the width.
            #expect(!line.trimmingCharacters(in: .whitespaces).contains(" "), "\(line)")
        }
        #expect(Wrapper(width: nil).lines(text, first: "  ", rest: "  ") == "  " + text + "\n")
    }

    @Test("a long report at a terminal: one line per finding within the width, sorted, limited, the summary last")
    func compactLimitedAndSorted() {
        let report = ReportFixture.full
        let text = TableReport.render(report, layout: TableLayout(order: .waited, limit: 5, style: .auto, width: 110, screenLines: 10))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let findingLines = lines.filter { $0.hasPrefix("E ") || $0.hasPrefix("W ") || $0.hasPrefix("I ") }
        #expect(findingLines.count == 5)
        for line in findingLines { #expect(line.count <= 110, "\(line)") }
        // Longest wait first: obrien (9 d 2 h), then the 4 d one, then carol (2 d 3 h).
        #expect(findingLines[0].contains("obrien") && findingLines[0].contains("9 d 2 h"))
        #expect(findingLines[2].contains("carol"))
        let total = report.findings.count
        #expect(text.contains("\(total - 5) more findings not shown (--limit 5)"))
        #expect(lines.last(where: { !$0.isEmpty })?.hasPrefix("Summary  \(report.count(.error)) errors") == true)
    }

    @Test("few findings at a tall terminal stay in the full layout; severity order puts errors first")
    func autoStaysFull() {
        let report = ReportFixture.full
        let text = TableReport.render(report, layout: TableLayout(order: .severity, style: .auto, width: 200, screenLines: 500))
        #expect(text.contains("    Run: Invoke-ADSyncDiagnostics"))
        let errors = text.range(of: "\nERRORS (")!.lowerBound
        let warnings = text.range(of: "\nWARNINGS (")!.lowerBound
        let info = text.range(of: "\nINFO (")!.lowerBound
        #expect(errors < warnings && warnings < info)
    }

    @Test("an accepted finding is listed apart, with its reason, and counts toward no severity")
    func accepted() throws {
        var report = ReportFixture.full
        let index = try #require(report.result.findings.firstIndex { $0.samAccountName == "alice" && $0.code == .passwordNotSynced })
        report.result.findings[index].accepted = Acceptance(reason: "Leaver, CHG-1", expires: ReportFixture.asOf.addingTimeInterval(86_400), place: "ex.yaml line 2")
        #expect(report.count(.error) == ReportFixture.full.count(.error) - 1)
        #expect(report.acceptedCount == 1)
        let text = TableReport.render(report, layout: TableLayout(style: .full))
        #expect(text.contains("\nACCEPTED (1)\n  password-not-synced  alice"))
        #expect(text.contains("Accepted until 2024-03-05T12:00:00Z: Leaver, CHG-1 (ex.yaml line 2)"))
        #expect(text.contains("   1 accepted"))
        let json = JSONReport.render(report)
        #expect(json.contains(#""accepted":{"reason":"Leaver, CHG-1","expires":"2024-03-05T12:00:00Z","exception":"ex.yaml line 2"}"#))
        #expect(json.contains(#""accepted":1"#))
    }
}

@Suite("Accepted findings in the HTML page")
struct HTMLAcceptedTests {
    @Test("an accepted finding's row says so, and the histogram leaves it out")
    func marked() throws {
        var report = ReportFixture.full
        let index = try #require(report.result.findings.firstIndex { $0.samAccountName == "alice" && $0.code == .passwordNotSynced })
        report.result.findings[index].accepted = Acceptance(reason: "Leaver <HR-1>", expires: ReportFixture.asOf.addingTimeInterval(2 * 86_400), place: "ex.yaml line 2")
        let html = HTMLReport.render(report)
        #expect(html.contains("Accepted until 2024-03-06: Leaver &lt;HR-1&gt; (ex.yaml line 2). The password of alice"))
        let before = HTMLReport.histogram(ReportFixture.full).reduce(0) { $0 + $1.notSynced }
        #expect(HTMLReport.histogram(report).reduce(0) { $0 + $1.notSynced } == before - 1)
    }
}
