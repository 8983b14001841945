import Foundation
@testable import Reports
import SyncAudit
import Testing

/// The filter's rule, severity sorting, the status filter, the Containers panel, grouped counts
/// and the charts, in the page as Chromium runs it.
extension HTMLChromiumTests {
    /// The subjects of the rows shown (the table holds only the rows that match).
    static func shownSubjects(_ html: String, fragment: String = "") throws -> [String] {
        order(try renderedDOM(html, fragment: fragment))
    }

    static func subject(_ finding: Finding) -> String {
        finding.scope == .tenant ? "tenant" : finding.scope == .domain ? finding.domain ?? ""
            : HTMLReport.esc(finding.directoryUser?.samAccountName ?? finding.cloudUser?.onPremisesSamAccountName ?? "")
    }

    /// A value the page's script (or a driver) wrote on `<html>`.
    static func rootAttribute(_ name: String, _ dom: String) -> String? {
        guard let range = dom.range(of: name + "=\"") else { return nil }
        return String(dom[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test("Filter words match any of them; quoted words match together", arguments: [HTMLReport.renderedRows, allAsData])
    func filterAnyWord(renderedRows: Int) throws {
        let html = HTMLReport.render(ReportFixture.full, renderedRows: renderedRows)
        let alice = try Self.shownSubjects(html, fragment: "#q=alice")
        let bob = try Self.shownSubjects(html, fragment: "#q=bob")
        #expect(alice.contains("alice") && bob.contains("bob"))
        let either = try Self.renderedDOM(html, fragment: "#q=alice%20%20bob")
        #expect(Set(Self.order(either)) == Set(alice + bob))
        #expect(either.contains("id=\"shown\">\(Set(alice + bob).count) of 29 findings shown<"))
        // A code and a name: both kinds of rows.
        let codeOrName = try Self.shownSubjects(html, fragment: "#q=anchor-mismatch%20kim")
        #expect(Set(codeOrName) == ["leo", "kim"])
        // "whole domain" is one row; whole or domain are many.
        let phrase = try Self.shownSubjects(html, fragment: "#q=%22whole%20domain%22")
        #expect(phrase == ["emea.corp.example"])
        #expect(try Self.shownSubjects(html, fragment: "#q=whole%20domain").count > 1)
        // Typed in the box, as a person would.
        let typed = try Self.renderedDOM(Self.driven("""
            var f = document.getElementById('filter'); f.value = 'mallory nina'; f.dispatchEvent(new Event('input'));
            """, html: html))
        #expect(Set(Self.order(typed)) == ["mallory", "nina"])
    }

    @Test("Sorting by severity puts errors first, then warnings, then info; again reverses", arguments: [HTMLReport.renderedRows, allAsData])
    func severityFirst(renderedRows: Int) throws {
        let html = HTMLReport.render(ReportFixture.full, renderedRows: renderedRows)
        let headers = "document.querySelectorAll('th .sort')"
        let findings = ReportFixture.full.findings
        func sorted(descending: Bool) -> [String] {
            findings.indices.sorted { a, b in
                let x = findings[a].severity, y = findings[b].severity
                return x != y ? (descending ? x > y : x < y) : a < b
            }.map { Self.subject(findings[$0]) }
        }
        // Sorted by name first, so that the severity sort has something to undo.
        let once = try Self.renderedDOM(Self.driven("\(headers)[2].click(); \(headers)[0].click();", html: html))
        #expect(Self.order(once) == sorted(descending: true))
        #expect(once.contains("<th scope=\"col\" aria-sort=\"descending\"><button type=\"button\" class=\"sort\">Severity</button></th>"))
        let twice = try Self.renderedDOM(Self.driven("\(headers)[0].click(); \(headers)[0].click();", html: html))
        #expect(Self.order(twice) == sorted(descending: false))
        #expect(Self.order(twice).first == "mike", "info first when reversed")
        #expect(twice.contains("aria-sort=\"ascending\"><button type=\"button\" class=\"sort\">Severity"))
    }

    @Test("The status filter shows all, the new or the persisting findings", arguments: [HTMLReport.renderedRows, allAsData])
    func statusFilter(renderedRows: Int) throws {
        let report = ReportFixture.withHistory
        let html = HTMLReport.render(report, renderedRows: renderedRows)
        for status in [FindingStatus.new, .persisting] {
            let dom = try Self.renderedDOM(Self.driven("""
                var s = document.getElementById('status-filter'); s.value = '\(status.rawValue)'; s.dispatchEvent(new Event('change'));
                """, html: html))
            let expected = report.findings.filter { $0.status == status }.map(Self.subject)
            #expect(Self.order(dom) == expected, "\(status)")
            #expect(dom.contains("id=\"shown\">\(expected.count) of \(report.findings.count) findings shown<"))
        }
        // With a text filter too: both must hold.
        let both = try Self.renderedDOM(Self.driven("""
            var s = document.getElementById('status-filter'); s.value = 'persisting'; s.dispatchEvent(new Event('change'));
            """, html: html), fragment: "#q=obrien%20alice")
        #expect(Self.order(both) == ["obrien"])
        let all = try Self.renderedDOM(Self.driven("""
            var s = document.getElementById('status-filter'); s.value = 'new'; s.dispatchEvent(new Event('change'));
            s.value = ''; s.dispatchEvent(new Event('change'));
            """, html: html))
        #expect(Self.order(all).count == report.findings.count)
    }

    @Test("Rows made from data with history are the rows the page writes (status, first seen, runs open)")
    func rowsFromDataWithHistory() throws {
        let written = HTMLReportTests.bodyRows(try Self.renderedDOM(HTMLReport.render(ReportFixture.withHistory)).replacingOccurrences(of: "<tr ", with: "\n<tr "))
        let made = HTMLReportTests.bodyRows(try Self.renderedDOM(HTMLReport.render(ReportFixture.withHistory, renderedRows: Self.allAsData)).replacingOccurrences(of: "<tr ", with: "\n<tr "))
        #expect(made.count == ReportFixture.withHistory.findings.count && made.count == written.count)
        for (a, b) in zip(written, made) { #expect(a == b) }
        #expect(made.contains { $0.contains("<div class=\"seen\">open for 7 runs</div>") })
    }

    @Test("Rows made from data in a run of one domain are the rows the page writes (the domain's name in a command)")
    func rowsFromDataOneDomain() throws {
        var report = ReportFixture.full
        report.result.domains = Array(report.result.domains.prefix(1))
        let written = HTMLReportTests.bodyRows(try Self.renderedDOM(HTMLReport.render(report)).replacingOccurrences(of: "<tr ", with: "\n<tr "))
        let made = HTMLReportTests.bodyRows(try Self.renderedDOM(HTMLReport.render(report, renderedRows: Self.allAsData)).replacingOccurrences(of: "<tr ", with: "\n<tr "))
        #expect(made.count == written.count && made.count > 0)
        for (a, b) in zip(written, made) { #expect(a == b) }
        #expect(made.contains { $0.contains("-ADConnectorName <wbr>'corp.example'") || $0.contains("-ADConnectorName <wbr>&#39;corp.example&#39;") })
        #expect(!made.contains { $0.contains("'null'") })
    }

    @Test("A container of the Containers panel filters the findings to those it holds; again, or Clear, shows all",
          arguments: [HTMLReport.renderedRows, allAsData])
    func containerFilter(renderedRows: Int) throws {
        let report = ReportFixture.full
        let html = HTMLReport.render(report, renderedRows: renderedRows)
        let staff = try #require(report.containers.first)
        let click = "document.querySelector('button[data-container=\"OU=Staff,DC=corp,DC=example\"]').click();"
        let dom = try Self.renderedDOM(Self.driven(click, html: html))
        // obrien's DN holds an escaped comma (CN=O'Brien\, Pat…): its container is still Staff.
        let expected = report.findings.filter { $0.scope == .user && $0.distinguishedName?.hasSuffix(",OU=Staff,DC=corp,DC=example") == true }
        #expect(expected.count == staff.total)
        #expect(Self.order(dom) == expected.map(Self.subject))
        #expect(Self.order(dom).contains("obrien"))
        #expect(dom.contains("id=\"shown\">\(staff.total) of \(report.findings.count) findings shown<"))
        #expect(dom.contains("<p class=\"container-filter\" id=\"container-filter\">Only the container <code id=\"container-name\">OU=Staff,DC=corp,DC=example</code>"))
        #expect(dom.contains("aria-pressed=\"true\""))
        // The other container, with a text filter that reaches beyond it.
        let leavers = try Self.renderedDOM(Self.driven("document.querySelector('button[data-container=\"OU=Leavers,DC=corp,DC=example\"]').click();", html: html),
                                           fragment: "#q=mallory%20alice")
        #expect(Self.order(leavers) == ["mallory"])
        let again = try Self.renderedDOM(Self.driven(click + click, html: html))
        #expect(Self.order(again).count == report.findings.count)
        #expect(again.contains("id=\"container-filter\" hidden"))
        let cleared = try Self.renderedDOM(Self.driven(click + "document.getElementById('container-clear').click();", html: html))
        #expect(Self.order(cleared).count == report.findings.count)
        #expect(!cleared.contains("aria-pressed=\"true\""))
    }

    @Test("Counts the script writes are grouped like the page's; percentages exact")
    func groupedInScript() throws {
        let report = HTMLReportTests.many(1500)
        let html = HTMLReport.render(report)
        let dom = try Self.renderedDOM(html)
        #expect(dom.contains("id=\"shown\">1,529 findings<"))
        #expect(dom.contains("Show 200 more (1,329 not shown yet)"))
        #expect(dom.contains("98.99&nbsp;% of matched users") || dom.contains("98.99\u{00A0}% of matched users"))
        #expect(dom.contains("<div class=\"value\">98,999</div>"))
        let filtered = try Self.renderedDOM(html, fragment: "#q=password-not-synced")
        #expect(filtered.contains("id=\"shown\">1,506 of 1,529 findings shown<"))
        #expect(filtered.contains("Show 200 more (1,306 not shown yet)"))
    }

    /// A driver that lists, on `<html data-overlaps>`, every pair of texts of the charts whose
    /// boxes meet, every text outside its chart, every chart outside its panel and every panel
    /// of history, containers or domains whose content is wider than it, or "none"; `data-charts`
    /// counts the charts.
    static let chartLayout = """
        (function () {
          var out = [], charts = document.querySelectorAll("svg.histogram, svg.trend");
          Array.prototype.forEach.call(charts, function (svg) {
            var texts = Array.prototype.slice.call(svg.querySelectorAll("text"));
            var boxes = texts.map(function (t) { return t.getBoundingClientRect(); });
            var frame = svg.getBoundingClientRect(), panel = svg.closest("section").getBoundingClientRect();
            if (frame.left < panel.left || frame.right > panel.right || frame.top < panel.top || frame.bottom > panel.bottom) {
              out.push("chart outside its panel " + svg.getAttribute("class"));
            }
            boxes.forEach(function (a, i) {
              if (a.left < frame.left - 0.5 || a.right > frame.right + 0.5 || a.top < frame.top - 0.5 || a.bottom > frame.bottom + 0.5) {
                out.push("outside " + texts[i].textContent);
              }
              boxes.slice(i + 1).forEach(function (b, j) {
                if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
                  out.push(texts[i].textContent + " meets " + texts[i + 1 + j].textContent);
                }
              });
            });
          });
          Array.prototype.forEach.call(document.querySelectorAll("section.runs, section.resolved, section.containers, section.domains"), function (e) {
            if (e.scrollWidth > e.clientWidth + 1) { out.push("wider than its panel: " + e.getAttribute("class")); }
          });
          document.documentElement.setAttribute("data-overlaps", out.length ? out.join(" | ") : "none");
          document.documentElement.setAttribute("data-charts", String(charts.length));
        })();
        """

    @Test("The trend chart shows the three recorded runs, oldest first, with their counts")
    func trendChart() throws {
        let report = ReportFixture.withHistory
        let dom = try Self.renderedDOM(HTMLReport.render(report))
        #expect(dom.contains("data-ready=\"1\""))
        let svg = try #require(dom.range(of: "<svg class=\"trend\"")).lowerBound
        let end = try #require(dom.range(of: "</svg>", range: svg..<dom.endIndex)).upperBound
        let chart = String(dom[svg..<end])
        #expect(chart.contains("data-runs=\"3\""))
        let runs = chart.components(separatedBy: "<g class=\"run").dropFirst().map { String($0.prefix { $0 != ">" }) }
        #expect(runs == ["\" data-run=\"1\"", "\" data-run=\"2\"", " this\" data-run=\"3\""])
        // Each run's bars: errors, warnings, info, stacked, and its total above them.
        for run in try #require(report.history?.trend) {
            #expect(chart.contains("<title>Run \(run.runId), \(Timestamp.format(run.at)): \(run.errors) errors, \(run.warnings) warnings, \(run.infos) info; \(run.new) new</title>"))
            #expect(chart.contains(">\(run.errors + run.warnings + run.infos)</text>"))
        }
        #expect(chart.components(separatedBy: "class=\"bar bar-error\"").count - 1 == 3)
        #expect(chart.components(separatedBy: "class=\"bar bar-warning\"").count - 1 == 3)
        #expect(chart.components(separatedBy: "class=\"bar bar-info\"").count - 1 == 3)
        // Its bars grow with the counts: run 3 (17 errors) above run 1 (12).
        func errorBar(_ run: Int) throws -> Double {
            let group = try #require(chart.range(of: "data-run=\"\(run)\""))
            let rect = try #require(chart.range(of: "class=\"bar bar-error\"", range: group.upperBound..<chart.endIndex))
            let height = try #require(chart.range(of: "height=\"", range: rect.upperBound..<chart.endIndex))
            return try #require(Double(chart[height.upperBound...].prefix { $0 != "\"" }))
        }
        #expect(try errorBar(3) > errorBar(1))
        #expect(dom.contains("<h2 id=\"resolved-h\">Resolved since the previous run"))
    }

    @Test("No text of the charts meets another or leaves its chart, nothing leaves its panel, at any width and with six-figure counts",
          arguments: ["1400,1000", "700,1000", "420,1000"])
    func chartLayout(windowSize: String) throws {
        var report = HTMLReportTests.many(1500)
        report.history = ReportFixture.withHistory.history
        report.history?.trend = (1...30).map { n in
            HistoryContext.RunCounts(runId: Int64(1000 + n), at: ReportFixture.asOf.addingTimeInterval(Double(n - 30) * ReportFixture.day),
                                     errors: 3_000 * n, warnings: 1_200, infos: 40, new: n)
        }
        let big = try Self.renderedDOM(Self.driven(Self.chartLayout, html: HTMLReport.render(report)), windowSize: windowSize)
        #expect(Self.rootAttribute("data-charts", big) == "2")
        #expect(Self.rootAttribute("data-overlaps", big) == "none")
        // The fixture's own charts: three runs with their totals, the histogram's seven buckets.
        let small = try Self.renderedDOM(Self.driven(Self.chartLayout, html: HTMLReport.render(ReportFixture.withHistory)), windowSize: windowSize)
        #expect(Self.rootAttribute("data-charts", small) == "2")
        #expect(Self.rootAttribute("data-overlaps", small) == "none")
    }

    /// A driver that lists, on `<html data-broken>`, every UPN part (between its `<wbr>`s) and
    /// every word of a command that the browser broke over two lines, or "none".
    static let lineBreaks = """
        (function () {
          var broken = [];
          function lines(node, start, end) {
            var range = document.createRange(), tops = {};
            range.setStart(node, start); range.setEnd(node, end);
            Array.prototype.forEach.call(range.getClientRects(), function (r) { if (r.width > 0) { tops[Math.round(r.top)] = 1; } });
            return Object.keys(tops).length;
          }
          var parts = 0, wrapped = 0;
          Array.prototype.forEach.call(document.querySelectorAll(".upn, code.cmd"), function (e) {
            var all = document.createRange(); all.selectNodeContents(e);
            var tops = {};
            Array.prototype.forEach.call(all.getClientRects(), function (r) { if (r.width > 0) { tops[Math.round(r.top)] = 1; } });
            if (Object.keys(tops).length > 1) { wrapped++; }
            Array.prototype.forEach.call(e.childNodes, function (n) {
              if (n.nodeType !== 3) { return; }
              var re = /\\S+/g, m;
              while ((m = re.exec(n.data)) !== null) {
                parts++;
                if (lines(n, m.index, m.index + m[0].length) > 1) { broken.push(m[0]); }
              }
            });
          });
          document.documentElement.setAttribute("data-broken", broken.length ? broken.join(" | ") : "none");
          document.documentElement.setAttribute("data-parts", String(parts));
          document.documentElement.setAttribute("data-wrapped", String(wrapped));
        })();
        """

    @Test("Long UPNs break only after @ and dots, commands only at spaces", arguments: [HTMLReport.renderedRows, allAsData])
    func noMidWordBreaks(renderedRows: Int) throws {
        var report = ReportFixture.full
        for index in report.result.findings.indices {
            guard let name = report.result.findings[index].directoryUser?.samAccountName, name.count < 8 else { continue }
            report.result.findings[index].directoryUser?.userPrincipalName =
                "\(name).konstantinopoulou-vanderberg@research-and-development.emea.subsidiary.example"
            if let command = report.result.findings[index].command {
                report.result.findings[index].command = command + " -ConfirmationMessage 'Re-run Invoke-ADSyncDiagnostics-PasswordSync after the next cycle'"
            }
        }
        let html = HTMLReport.render(report, renderedRows: renderedRows)
        let dom = try Self.renderedDOM(Self.driven(Self.lineBreaks, html: html), windowSize: "800,1000")
        #expect(Self.rootAttribute("data-broken", dom) == "none")
        #expect(Int(Self.rootAttribute("data-parts", dom) ?? "") ?? 0 > 100, "the UPNs and commands were measured")
        #expect(Int(Self.rootAttribute("data-wrapped", dom) ?? "") ?? 0 > 10, "and they did wrap, at the places allowed")
        // The copy button copies the command whole: a <wbr> adds no text.
        #expect(!dom.contains("Invoke-<wbr>") && !dom.contains("konstantinopoulou-<wbr>"))
    }
}
