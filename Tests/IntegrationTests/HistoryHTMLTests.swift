import Foundation
import Testing

/// `compare --history DB --format html --output FILE`, run three times with exports that change
/// between runs: the page the third run writes shows the three recorded runs in its trend chart,
/// the finding resolved since the second run, and a persisting finding's first sighting, as
/// Chromium (headless) renders it.
extension HistoryCLITests {
    /// The DOM Chromium built from `file` after the page's script ran.
    static func renderedDOM(_ file: String) throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let result = try CommandRunner.run("/usr/bin/chromium", [
            "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
            "--user-data-dir=\(profile)", "--window-size=1400,1000", "--dump-dom", "file://\(file)",
        ])
        #expect(result.status == 0, "chromium: \(result.stderr.suffix(800))")
        return result.output
    }

    @Test("three recorded runs, then --format html: the trend chart shows the three runs, the resolved finding, first seen and runs open")
    func htmlTrendOfThreeRuns() throws {
        let scenario = try Scenario()
        let page = scenario.folder + "/report.html"
        // alice and bob, then bob and carol (alice resolved), then carol alone (bob resolved).
        for broken: Set<String> in [["alice", "bob"], ["bob", "carol"], ["carol"]] {
            let result = try scenario.compare(broken: broken, ["--format", "html", "--output", page])
            #expect(result.status == 1, "\(result.stderr)")
        }
        let dom = try Self.renderedDOM(page)
        #expect(dom.contains("data-ready=\"1\""), "the page's script ran under its CSP")
        let svg = try #require(dom.range(of: "<svg class=\"trend\""), "the page has a trend chart").lowerBound
        let end = try #require(dom.range(of: "</svg>", range: svg..<dom.endIndex)).upperBound
        let chart = String(dom[svg..<end])
        #expect(chart.contains("data-runs=\"3\""))
        let runs = chart.components(separatedBy: "<g class=\"run").dropFirst().map { String($0.prefix { $0 != ">" }) }
        #expect(runs == ["\" data-run=\"1\"", "\" data-run=\"2\"", " this\" data-run=\"3\""])
        // Errors per run: 2, 2, 1; new: 2, 1, 0.
        #expect(chart.contains("<title>Run 1, ") && chart.contains(": 2 errors, 0 warnings, 0 info; 2 new</title>"))
        #expect(chart.contains(": 2 errors, 0 warnings, 0 info; 1 new</title>"))
        #expect(chart.contains(": 1 error, 0 warnings, 0 info; 0 new</title>"))
        // bob's finding is resolved; carol's persists since the second run.
        let resolved = try #require(dom.range(of: "<h2 id=\"resolved-h\">Resolved since the previous run <span class=\"muted\">1</span></h2>"))
        #expect(dom[resolved.upperBound...].prefix(1500).contains("<strong class=\"sam\">bob</strong>"))
        let carol = try #require(dom.components(separatedBy: "<tr ").first { $0.contains("data-subject=\"carol\"") })
        #expect(carol.contains("data-status=\"persisting\""))
        #expect(carol.contains("<div class=\"seen\">first seen <time datetime=\""))
        #expect(carol.contains("<div class=\"seen\">open for 2 runs</div>"))
    }
}
