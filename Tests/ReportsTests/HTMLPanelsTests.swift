import Foundation
@testable import Reports
import SyncAudit
import Testing

/// Counts, percentages, the histogram's long waits, line breaks, the filter's rule, the
/// Containers panel and what a run with history adds (docs/FORMATS.md "HTML").
extension HTMLReportTests {
    static let history = HTMLReport.render(ReportFixture.withHistory)

    /// `full` with `extra` more password-not-synced findings (copies of alice's, named many0…),
    /// and 100,000 directory users of whom 98,999 are in sync.
    static func many(_ extra: Int) -> AuditReport {
        var report = ReportFixture.full
        let alice = report.findings.first { $0.directoryUser?.samAccountName == "alice" }!
        report.result.findings += (0..<extra).map { n in
            var finding = alice
            finding.directoryUser?.samAccountName = "many\(n)"
            return finding
        }
        report.result.directoryUsers = 100_000
        report.result.matched = 100_000
        report.result.inSync = 98_999
        report.directory.users = 100_000
        report.cloud.users = 100_024
        return report
    }

    @Test("Counts are grouped by threes with commas, whatever the locale",
          arguments: [(0, "0"), (7, "7"), (999, "999"), (1000, "1,000"), (1009, "1,009"), (100_000, "100,000"),
                      (1_234_567, "1,234,567"), (-1234, "-1,234")])
    func grouping(_ pair: (Int, String)) {
        #expect(HTMLReport.num(pair.0) == pair.1)
    }

    @Test("Percentages are cut to two decimals, never rounded up; exact ones drop their zeros",
          arguments: [(98_999, 100_000, "98.99 %"), (9899, 10_000, "98.99 %"), (999, 1000, "99.9 %"), (99, 100, "99 %"),
                      (9901, 10_001, "99.00 %"), (999_999, 1_000_000, "99.99 %"), (99_999_999, 100_000_000, "99.99 %"),
                      (1, 1, "100 %"), (1, 3, "33.33 %"), (2, 3, "66.66 %"), (1, 2, "50 %"), (1, 8, "12.5 %"),
                      (1, 10_000, "0.01 %"), (1, 10_001, "<0.01 %"), (1, 100_000, "<0.01 %"), (0, 5, "0 %"), (0, 0, "0 %")])
    func percent(_ c: (Int, Int, String)) {
        #expect(HTMLReport.percent(c.0, of: c.1) == c.2.replacingOccurrences(of: " ", with: "\u{00A0}"))
    }

    @Test("Every count the page writes is grouped: cards, verdict, title, toggles, chips, heading, chart")
    func groupedCounts() {
        let report = Self.many(1500)
        let html = HTMLReport.render(report)
        #expect(html.contains("<title>phs-check: 1,517 errors \u{00B7} as of"))
        #expect(html.contains(">1,517 errors need action</div>"))
        #expect(html.contains("<div class=\"label\">Errors</div><div class=\"value\">1,517</div>"))
        #expect(html.contains("<div class=\"label\">Matched</div><div class=\"value\">100,000</div><div class=\"note\">of 100,000 directory users</div>"))
        #expect(html.contains("<div class=\"label\">In sync</div><div class=\"value\">98,999</div><div class=\"note\">98.99\u{00A0}% of matched users</div>"))
        #expect(html.contains("<div class=\"label\">Cloud users</div><div class=\"value\">100,024</div>"))
        #expect(html.contains("<span class=\"muted\">100,000 users</span>"))
        #expect(html.contains("graph-json \u{00B7} 100,024 users"))
        #expect(html.contains("id=\"shown\">1,529 findings</span>"))
        #expect(html.contains("data-severity=\"error\" checked> Errors <b>1,517</b>"))
        #expect(html.contains("password-not-synced <b>1,506</b></button>"))
        #expect(html.contains("The first 200 of 1,529 findings are listed here; the other 1,329 are in this file as data"))
        // The histogram: alice's copies wait 2 h 5 min (1–6 h) with dave's and alice's own.
        #expect(html.contains("password-not-synced <b>1,506</b> <span class=\"key key-pending\">"))
        #expect(html.contains("text-anchor=\"middle\">1,502</text>"))
        #expect(html.contains("text-anchor=\"end\">1,000</text>") && html.contains("text-anchor=\"end\">2,000</text>"))
        #expect(html.contains("1\u{2013}6 h: 1,502 not synced, 0 pending"))
    }

    @Test("The histogram has buckets past a week: 7–30 d and > 30 d (lower bounds inclusive)")
    func longWaits() {
        #expect(HTMLReport.buckets.map(\.label).suffix(3) == ["3\u{2013}7 d", "7\u{2013}30 d", "> 30 d"])
        // obrien's 9 d 2 h is in 7–30 d.
        #expect(HTMLReport.histogram(ReportFixture.full).map(\.notSynced) == [0, 2, 1, 1, 1, 1, 0])
        var report = ReportFixture.full
        func wait(_ name: String, _ seconds: TimeInterval) {
            let index = report.findings.firstIndex { $0.directoryUser?.samAccountName == name }!
            report.result.findings[index].directoryUser?.pwdLastSet = ReportFixture.ago(seconds)
        }
        wait("alice", 45 * ReportFixture.day)
        wait("dave", 30 * ReportFixture.day)
        wait("bob", 7 * ReportFixture.day)
        #expect(HTMLReport.histogram(report).map(\.notSynced) == [0, 0, 0, 1, 1, 2, 2])
        let html = HTMLReport.render(report)
        #expect(html.contains(">7\u{2013}30 d</text>") && html.contains(">&gt; 30 d</text>"))
        #expect(html.contains("&gt; 30 d: 2 not synced, 0 pending"))
    }

    @Test("The y axis moves right as its labels widen, so its title keeps clear of them",
          arguments: [1, 9, 1_011, 15_000, 100_000, 2_500_000])
    func axisRoom(_ peak: Int) {
        let frame = HTMLReport.ChartFrame(peak: peak)
        // A 12 px digit of the widest common sans fonts is under 7.7 units, a comma under 4.
        let widest = HTMLReport.num(Int(frame.ceiling)).reduce(0.0) { $0 + ($1 == "," ? 4 : 7.7) }
        #expect(frame.left - 6 - widest >= HTMLReport.ChartFrame.titleRight + 6)
        #expect(frame.left >= 44 && frame.plotW > 400)
        #expect(Double(peak) <= frame.ceiling)
    }

    @Test("UPNs may wrap after @ and dots only, commands at spaces only, escaped first; both scroll when they must")
    func lineBreaks() {
        #expect(HTMLReport.breakableUPN("o'brien&partners@corp.example") == "o&#39;brien&amp;partners@<wbr>corp.<wbr>example")
        #expect(HTMLReport.breakableUPN("<b>.x@y") == "&lt;b&gt;.<wbr>x@<wbr>y")
        #expect(Self.full.contains("<div class=\"upn\">alice@<wbr>corp.<wbr>example</div>"))
        #expect(Self.full.contains("<div class=\"upn\">o&#39;brien&amp;partners@<wbr>corp.<wbr>example</div>"))
        func rule(_ selector: String) -> String {
            let start = HTMLReport.style.range(of: "\n" + selector + "{")!
            return String(HTMLReport.style[start.upperBound...].prefix { $0 != "}" })
        }
        #expect(HTMLReport.breakableCommand("Set-X -Name 'a b'") == "Set-X <wbr>-Name <wbr>&#39;a <wbr>b&#39;")
        // A <wbr> breaks even where white-space forbids every other break (a hyphen's, a letter's).
        #expect(rule(".upn").contains("white-space:nowrap") && rule(".upn").contains("overflow-x:auto"))
        #expect(rule(".cmd").contains("white-space:pre;") && rule(".cmd").contains("overflow-x:auto"))
        #expect(!rule(".upn").contains("anywhere") && !rule(".cmd").contains("anywhere"))
        #expect(!rule(".upn").contains("break-all") && !rule(".cmd").contains("break-all"))
    }

    @Test("The filter box says its rule: words match any of them, quotes keep words together")
    func filterRule() {
        #expect(Self.full.contains("placeholder=\"Filter: alice bob shows both \u{2014} user, UPN, DN, code, text\u{2026}\""))
        #expect(Self.full.contains("aria-describedby=\"filter-hint\""))
        #expect(Self.full.contains("<p class=\"hint\" id=\"filter-hint\">Words separated by spaces match any of them"))
    }

    @Test("Containers: user findings by parent container, most first, each a button that filters")
    func containers() throws {
        let containers = ReportFixture.full.containers
        #expect(containers.map(\.container) == ["OU=Staff,DC=corp,DC=example", "OU=Leavers,DC=corp,DC=example"])
        let staff = try #require(containers.first)
        let html = Self.full
        let row = "<tr><th scope=\"row\"><button type=\"button\" class=\"container-link\" data-container=\"OU=Staff,DC=corp,DC=example\" "
            + "title=\"Show only the findings in this container\">OU=Staff,<wbr>DC=corp,<wbr>DC=example</button></th>"
            + "<td class=\"num\">\(staff.total)</td><td class=\"num\">\(staff.errors)</td><td class=\"num\">\(staff.warnings)</td><td class=\"num\">\(staff.infos)</td>"
        #expect(html.contains(row))
        #expect(html.contains("data-container=\"OU=Leavers,DC=corp,DC=example\""))
        #expect(!html.contains("These are the 20 containers"))
        #expect(html.contains("<p class=\"container-filter\" id=\"container-filter\" hidden>"))
        #expect(!Self.clean.contains("class=\"panel containers\""))

        // More than 20: the first 20, and a note on the others.
        var report = ReportFixture.full
        let alice = report.findings.first { $0.directoryUser?.samAccountName == "alice" }!
        report.result.findings += (0..<23).map { n in
            var finding = alice
            finding.directoryUser?.distinguishedName = "CN=alice,OU=Site\(n < 10 ? "0" : "")\(n),DC=corp,DC=example"
            return finding
        }
        let many = HTMLReport.render(report)
        #expect(many.components(separatedBy: "class=\"container-link\"").count - 1 == 20)
        #expect(many.contains("These are the 20 containers with the most findings of 25; the other 5 hold 5 findings."))
        #expect(many.contains("data-container=\"OU=Site17,DC=corp,DC=example\"") && !many.contains("data-container=\"OU=Site18,"))
    }

    @Test("With history: a status filter, first seen and runs open, the resolved findings, the trend of the last runs")
    func withHistory() throws {
        let html = Self.history
        let report = ReportFixture.withHistory
        let new = report.findings.count { $0.status == .new }, persisting = report.findings.count { $0.status == .persisting }
        #expect(html.contains("<select id=\"status-filter\" aria-label=\"Show findings by status\"><option value=\"\">all</option>"
            + "<option value=\"new\">new (\(new))</option><option value=\"persisting\">persisting (\(persisting))</option></select>"))
        // A persisting finding: since when, and for how many runs.
        let obrien = try #require(HTMLReportTests.bodyRows(html).first { $0.contains("data-subject=\"obrien\"") })
        let firstSeen = Timestamp.format(ReportFixture.asOf.addingTimeInterval(-6 * ReportFixture.day + 60))
        #expect(obrien.contains(" data-status=\"persisting\">"))
        #expect(obrien.contains("<td data-sort=\"persisting 000007\"><span class=\"status status-persisting\">persisting</span>"
            + "<div class=\"seen\">first seen <time datetime=\"\(firstSeen)\">\(firstSeen.prefix(10))</time></div>"
            + "<div class=\"seen\">open for 7 runs</div></td>"))
        let alice = try #require(HTMLReportTests.bodyRows(html).first { $0.contains("data-subject=\"alice\"") })
        #expect(alice.contains("<div class=\"seen\">open for 1 run</div>"))
        // The resolved findings: a user (UPN breakable, escaped) and a tenant finding.
        #expect(html.contains("<h2 id=\"resolved-h\">Resolved since the previous run <span class=\"muted\">2</span></h2>"))
        #expect(html.contains("<strong class=\"sam\">peggy</strong><div class=\"upn\">peggy.<wbr>o&#39;neil@<wbr>corp.<wbr>example</div>"))
        #expect(html.contains("<td><em>whole tenant</em></td><td><code>phs-heartbeat-stale</code></td><td class=\"time\">\u{2014}</td>"))
        // The trend: three runs, oldest first, this one last.
        #expect(html.contains("<svg class=\"trend\" viewBox=\"0 0 560 250\" role=\"img\" aria-labelledby=\"trend-t trend-d\" data-runs=\"3\">"))
        #expect(html.components(separatedBy: "<g class=\"run").count - 1 == 3)
        #expect(html.contains("<g class=\"run\" data-run=\"1\"><title>Run 1, 2024-03-02T12:00:00Z: 12 errors, 3 warnings, 4 info; 19 new</title>"))
        #expect(html.contains("<g class=\"run this\" data-run=\"3\">"))
        let order = ["data-run=\"1\"", "data-run=\"2\"", "data-run=\"3\""].map { html.range(of: $0)!.lowerBound }
        #expect(order == order.sorted())
        #expect(html.contains(">#1</text>") && html.contains(">03-02</text>") && html.contains(">#3</text>"))

        // Without history: statuses alone give the filter and the column, nothing else.
        #expect(Self.full.contains("id=\"status-filter\""))
        #expect(!Self.full.contains("class=\"panel runs\"") && !Self.full.contains("id=\"resolved-h\""))
        #expect(!Self.clean.contains("id=\"status-filter\""))
    }

    @Test("The trend shows the last 30 runs, labels every few runs, and always this run's")
    func longTrend() {
        var report = ReportFixture.withHistory
        report.history?.trend = (1...40).map { n in
            HistoryContext.RunCounts(runId: Int64(n), at: ReportFixture.asOf.addingTimeInterval(Double(n - 40) * ReportFixture.day),
                                     errors: n * 2_000, warnings: 500, infos: 30, new: 7)
        }
        let html = HTMLReport.render(report)
        #expect(html.contains("data-runs=\"30\""))
        #expect(html.contains("Findings over the last 30 runs"))
        #expect(!html.contains("data-run=\"10\"") && html.contains("data-run=\"11\"") && html.contains("data-run=\"40\""))
        let labels = html.components(separatedBy: "text-anchor=\"middle\">#").count - 1
        #expect(labels > 1 && labels < 30)
        #expect(html.contains(">#40</text>"))
        // Totals do not fit above 30 bars: none is written (the legend has this run's).
        #expect(!html.contains(">80,530</text>") && !html.contains(">78,530</text>"))
        #expect(html.contains("text-anchor=\"end\">100,000</text>"))
        #expect(html.contains("errors <b>80,000</b>"))
    }

    @Test("Containers and history escape what the directory and the database hold")
    func escapingPanels() {
        let evil = "\"'><img src=x onerror=alert(1)>&"
        var report = ReportFixture.withHistory
        for index in report.result.findings.indices where report.result.findings[index].directoryUser != nil {
            report.result.findings[index].directoryUser?.distinguishedName = "CN=a,OU=" + evil
            report.result.findings[index].directoryUser?.userPrincipalName = evil + "@" + evil
        }
        report.history?.resolved = [.init(code: evil, samAccountName: evil, userPrincipalName: evil, distinguishedName: evil,
                                          domain: evil, firstSeen: nil)]
        let html = HTMLReport.render(report)
        #expect(!html.contains("<img"))
        #expect(!html.contains("onerror=alert(1)>"))
        #expect(html.contains("data-container=\"OU=&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;\""))
        #expect(html.contains("<code>&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;</code>"))
        #expect(html.contains("&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;@<wbr>&quot;"))
        #expect(html.components(separatedBy: "<script").count == 2, "the report's own script, nothing else")
    }
}
