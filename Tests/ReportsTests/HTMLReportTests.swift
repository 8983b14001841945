import Foundation
@testable import Reports
import SyncAudit
import Testing

@Suite("HTML report: structure, escaping, offline")
struct HTMLReportTests {
    static let full = HTMLReport.render(ReportFixture.full)
    static let clean = HTMLReport.render(ReportFixture.clean)

    /// The `<tr>` start tags of the findings table's body.
    static func bodyRows(_ html: String) -> [Substring] {
        guard let table = html.range(of: "<table id=\"findings\">"),
              let start = html.range(of: "<tbody>", range: table.upperBound..<html.endIndex),
              let end = html.range(of: "</tbody>", range: start.upperBound..<html.endIndex) else { return [] }
        return html[start.upperBound..<end.lowerBound].split(separator: "\n").filter { $0.hasPrefix("<tr ") }
    }

    @Test("One row per finding, in report order, with its severity and subject")
    func rows() {
        let rows = Self.bodyRows(Self.full)
        let findings = ReportFixture.full.findings
        #expect(rows.count == findings.count)
        for (row, finding) in zip(rows, findings) {
            let subject = finding.scope == .tenant ? "tenant" : finding.scope == .domain ? finding.domain ?? "?"
                : finding.directoryUser?.samAccountName ?? finding.cloudUser?.onPremisesSamAccountName ?? "?"
            #expect(row.contains("data-severity=\"\(finding.severity.rawValue)\""))
            #expect(row.contains("data-subject=\"\(HTMLReport.esc(subject))\""), "\(row)")
            #expect(row.contains("href=\"#code-\(finding.code.rawValue)\""))
        }
        // Every code that occurs is explained, and every link has its target.
        for code in Set(findings.map(\.code)) {
            #expect(Self.full.contains("id=\"code-\(code.rawValue)\""))
        }
    }

    @Test("Tenant findings come first, above the summary cards")
    func tenantFirst() throws {
        let tenant = try #require(Self.full.range(of: "<section class=\"tenant\""))
        let cards = try #require(Self.full.range(of: "<section class=\"cards\""))
        #expect(tenant.lowerBound < cards.lowerBound)
        let section = Self.full[tenant.lowerBound..<cards.lowerBound]
        #expect(section.contains("phs-heartbeat-stale") && section.contains("phs-stopped"))
        #expect(!section.contains("password-not-synced\""))
        #expect(!Self.clean.contains("class=\"tenant\""))
    }

    @Test("Summary cards, sources and asOf")
    func summary() {
        let html = Self.full
        for (label, value) in [("Errors", 17), ("Warnings", 7), ("Info", 5), ("Matched", 22), ("In sync", 7),
                               ("Directory users", 24), ("Cloud users", 28), ("Resolved", 2)] {
            #expect(html.contains("<div class=\"label\">\(label)</div><div class=\"value\">\(value)</div>"), "\(label)")
        }
        #expect(html.contains("ldaps://dc01.corp.example:636"))
        // By domain: a row each, the one not read with its reason, the one not in the run.
        #expect(html.contains("<tr data-status=\"read\"><th scope=\"row\">corp.example</th><td>ldaps://dc01.corp.example:636</td><td>24</td><td>22</td><td>10</td><td>7</td><td>5</td><td>0</td></tr>"))
        #expect(html.contains("<tr data-status=\"unreachable\"><th scope=\"row\">emea.corp.example</th><td colspan=\"6\"><span class=\"badge sev-error\">not read</span> cannot reach ldaps://dc01.emea.corp.example: connection refused</td><td>2</td></tr>"))
        #expect(html.contains("<tr data-status=\"not-read\"><th scope=\"row\">fabrikam.example</th>"))
        #expect(html.contains("data-filter=\"emea.corp.example\""))
        #expect(html.contains("exports/users-2024-03-04.json"))
        #expect(html.contains("graph-json"))
        #expect(html.contains("<time datetime=\"2024-03-04T12:00:00Z\">2024-03-04 12:00:00 UTC</time><br><span class=\"muted\">from --as-of</span>"))
        #expect(html.contains("<dt>Generated</dt><dd><time datetime=\"2024-03-04T12:17:30Z\">"))
        #expect(!Self.clean.contains(">Resolved<"), "no resolved card without --history")
        #expect(Self.clean.contains("when the Microsoft Graph read began"))
    }

    @Test("The histogram buckets the not-synced and pending changes by how long they waited")
    func histogram() {
        let counts = HTMLReport.histogram(ReportFixture.full)
        // alice 2 h 5 min and dave 3 h 40 min in 1–6 h; obrien 9 d 2 h in 7–30 d; erin (pending, 20 min) in < 1 h.
        #expect(counts.map(\.notSynced) == [0, 2, 1, 1, 1, 1, 0])
        #expect(counts.map(\.pending) == [1, 0, 0, 0, 0, 0, 0])
        for bucket in HTMLReport.buckets {
            #expect(Self.full.contains(">\(HTMLReport.esc(bucket.label))</text>"), "axis label \(bucket.label)")
        }
        #expect(Self.full.contains("<svg class=\"histogram\""))
        #expect(Self.full.contains(">users</text>"), "y axis title")
        #expect(Self.full.contains("oldest: <b>9 d 2 h</b>"))
        #expect(Self.clean.contains("No password change is waiting"))
        #expect(!Self.clean.contains("<svg"))
    }

    @Test("Nice steps for the y axis", arguments: [(0.25, 1.0), (1, 1), (1.5, 2), (3, 5), (7, 10), (12, 20), (40, 50), (260, 500)])
    func niceStep(_ pair: (Double, Double)) {
        #expect(HTMLReport.niceStep(pair.0) == pair.1)
    }

    @Test("A hostile name is text, never markup")
    func escaping() {
        let html = Self.full
        #expect(!html.contains(ReportFixture.hostileName))
        #expect(html.contains("<strong class=\"sam\">&lt;script&gt;alert(1)&lt;/script&gt;</strong>"))
        #expect(html.components(separatedBy: "<script").count == 2, "only the report's own script")
        // Quotes and ampersands in DNs and UPNs, in text and in attributes.
        #expect(html.contains("o&#39;brien&amp;partners@<wbr>corp.<wbr>example"))
        #expect(html.contains("CN=O&#39;Brien\\,<wbr> Pat &quot;PJ&quot;,<wbr>OU=Staff"))
        #expect(html.contains("data-subject=\"&lt;script&gt;alert(1)&lt;/script&gt;\""))
    }

    @Test("Every text field is escaped")
    func everyField() {
        let evil = "\"'><img src=x onerror=alert(1)>&"
        var report = ReportFixture.full
        report.version = evil
        report.directory.source = evil
        report.directory.baseDN = evil
        report.cloud.source = evil
        report.cloud.format = evil
        for index in report.result.findings.indices {
            report.result.findings[index].message = evil + " Invoke-ADSyncDiagnostics " + evil
            report.result.findings[index].directoryUser?.samAccountName = evil
            report.result.findings[index].directoryUser?.userPrincipalName = evil
            report.result.findings[index].directoryUser?.distinguishedName = evil
            report.result.findings[index].cloudUser?.userPrincipalName = evil
            report.result.findings[index].cloudUser?.onPremisesSamAccountName = evil
        }
        let html = HTMLReport.render(report)
        #expect(!html.contains("<img"))
        #expect(!html.contains("'>"))
        #expect(!html.contains("onerror=alert(1)>"))
        #expect(html.contains("&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;"))
    }

    @Test("Self-contained: no external URLs, a CSP that allows nothing else", arguments: ["full", "clean"])
    func offline(_ name: String) throws {
        let html = name == "full" ? Self.full : Self.clean
        #expect(!html.contains("http://") && !html.contains("https://"))
        // Every src/href/action value must stay inside the page (#fragment).
        let reference = try Regex(#"(?i)\b(?:src|href|action|xlink:href|srcset|poster|data)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#)
        var links = 0
        for match in html.matches(of: reference) {
            let value = (match.output[1].substring ?? match.output[2].substring ?? match.output[3].substring) ?? ""
            links += 1
            #expect(value.hasPrefix("#"), "an attribute that would load something: \(html[match.range])")
        }
        if html.contains("<table") { #expect(links > 0, "the code links were seen") }
        #expect(!html.contains("url("))
        #expect(!html.contains("@import"))
        #expect(html.contains("default-src 'none'"))
    }

    @Test("The CSP hashes match the inline style and script (checked with Python's hashlib)")
    func cspHashes() throws {
        let html = Self.full
        func block(_ tag: String) throws -> String {
            let open = try #require(html.range(of: "<\(tag)>")), close = try #require(html.range(of: "</\(tag)>"))
            return String(html[open.upperBound..<close.lowerBound])
        }
        let script = """
            import base64, hashlib, sys
            for text in sys.stdin.read().split("\\0"):
                print("sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode())
            """
        let result = try Tool.run("/usr/bin/python3", ["-c", script], stdin: try block("style") + "\0" + block("script"))
        let hashes = result.stdout.split(separator: "\n").map(String.init)
        #expect(hashes.count == 2)
        for hash in hashes {
            #expect(html.contains("'\(hash)'"), "CSP lists \(hash)")
        }
    }

    @Test("SHA-256 known answers")
    func sha256() {
        func hex(_ text: String) -> String {
            SHA256.digest(Array(text.utf8)).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        }
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(String(repeating: "a", count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test("No findings: a clean empty state instead of an empty table")
    func emptyState() {
        #expect(!Self.clean.contains("<table"))
        #expect(Self.clean.contains("<strong>No findings.</strong>"))
        #expect(Self.clean.contains(">All in sync</div>"))
        #expect(Self.clean.contains("<title>phs-check: in sync \u{00B7} as of 2024-03-04T12:00:00Z</title>"))
    }

    @Test("Light and dark colour schemes, and a print style")
    func schemesAndPrint() {
        #expect(Self.full.contains("@media (prefers-color-scheme:dark)"))
        #expect(Self.full.contains("<meta name=\"color-scheme\" content=\"light dark\">"))
        #expect(Self.full.contains("@media print{"))
    }

    @Test("Commands to run are set apart as code")
    func commands() {
        // Each space may end a line (`<wbr>`), nothing else may: the command reads whole when copied.
        #expect(Self.full.contains("<code class=\"cmd\">Invoke-ADSyncDiagnostics <wbr>-PasswordSync <wbr>-ADConnectorName <wbr>&#39;corp.example&#39; <wbr>-DistinguishedName <wbr>&#39;CN=alice,OU=Staff,DC=corp,DC=example&#39;</code>"))
    }
}

/// The page in a real browser: Debian's chromium, headless, the DOM after its script ran.
@Suite("HTML report in headless Chromium", .serialized)
struct HTMLChromiumTests {
    static let chromium = "/usr/bin/chromium"

    /// Writes `html` to a file and returns the DOM Chromium built from it (`--dump-dom`).
    static func renderedDOM(_ html: String, fragment: String = "", windowSize: String = "1400,1000") throws -> String {
        let folder = Tool.temporaryFile("html")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/report.html"
        try html.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try Tool.run(chromium, [
            "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
            "--user-data-dir=\(folder)/profile", "--window-size=\(windowSize)", "--dump-dom", "file://\(file)\(fragment)",
        ], timeout: 90)
        #expect(result.status == 0, "chromium: \(result.stderr.suffix(800))")
        return result.stdout
    }

    @Test("Opens, runs its script, and shows every finding")
    func opens() throws {
        let dom = try Self.renderedDOM(HTMLReport.render(ReportFixture.full))
        #expect(dom.contains("data-ready=\"1\""), "the inline script ran under the page's CSP")
        let rows = HTMLReportTests.bodyRows(dom.replacingOccurrences(of: "<tr ", with: "\n<tr "))
        #expect(rows.count == ReportFixture.full.findings.count)
        #expect(!rows.contains { $0.contains("hidden") }, "nothing filtered out by default")
        for name in ["alice", "bob", "carol", "dave", "obrien", "erin", "frank", "grace", "heidi", "ivan", "judy",
                     "kim", "leo", "mike", "nina", "oscar", "mallory"] {
            #expect(dom.contains(">\(name)</strong>"), "\(name) is in the rendered table")
        }
        #expect(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;</strong>"), "the hostile name shows as text")
        #expect(!dom.contains("<script>alert(1)</script>"), "and never became an element")
        #expect(dom.contains(">Copy</button>"), "copy buttons were added")
        #expect(dom.contains("id=\"shown\">\(ReportFixture.full.findings.count) findings<"))
    }

    /// Every user finding carried as data, for the script to make into rows.
    static let allAsData = 0

    @Test("Rows made by the script from data are the rows the page writes")
    func rowsFromData() throws {
        let written = HTMLReportTests.bodyRows(try Self.renderedDOM(HTMLReport.render(ReportFixture.full)).replacingOccurrences(of: "<tr ", with: "\n<tr "))
        let html = HTMLReport.render(ReportFixture.full, renderedRows: Self.allAsData)
        #expect(html.contains("id=\"findings-data\""))
        #expect(html.contains("id=\"truncated\""), "without script the page says that rows are missing")
        let made = HTMLReportTests.bodyRows(try Self.renderedDOM(html).replacingOccurrences(of: "<tr ", with: "\n<tr "))
        #expect(made.count == written.count)
        for (a, b) in zip(written, made) { #expect(a == b) }
    }

    @Test("A page of more findings than it shows at once: 200 rows, then 200 more on each click")
    func window() throws {
        var report = ReportFixture.full
        let user = report.findings.first { $0.code == .passwordNotSynced }!
        report.result.findings += (0..<400).map { n in
            var finding = user
            finding.directoryUser?.samAccountName = "many\(n)"
            return finding
        }
        let html = HTMLReport.render(report)
        let dom = try Self.renderedDOM(html)
        #expect(HTMLReportTests.bodyRows(dom.replacingOccurrences(of: "<tr ", with: "\n<tr ")).count == 200)
        #expect(dom.contains("id=\"shown\">\(report.findings.count) findings<"))
        #expect(dom.contains("Show 200 more (\(report.findings.count - 200) not shown yet)"))
        #expect(!dom.contains("id=\"findings-data\""), "the data is read once and taken out of the page")
        let once = try Self.renderedDOM(Self.driven("document.getElementById('more').click();", html: html))
        #expect(HTMLReportTests.bodyRows(once.replacingOccurrences(of: "<tr ", with: "\n<tr ")).count == 400)
        let clicked = try Self.renderedDOM(Self.driven("document.getElementById('more').click(); document.getElementById('more').click();", html: html))
        #expect(HTMLReportTests.bodyRows(clicked.replacingOccurrences(of: "<tr ", with: "\n<tr ")).count == report.findings.count)
        #expect(clicked.contains("id=\"more\" hidden"), "nothing more to show")
        // A filter reaches the rows carried as data.
        let filtered = try Self.renderedDOM(html, fragment: "#q=many399")
        #expect(filtered.contains("id=\"shown\">1 of \(report.findings.count) findings shown<"))
        #expect(filtered.contains(">many399</strong>"))
    }

    @Test("A filter in the URL (#q=) leaves only the matching rows", arguments: [HTMLReport.renderedRows, allAsData])
    func filter(renderedRows: Int) throws {
        let dom = try Self.renderedDOM(HTMLReport.render(ReportFixture.full, renderedRows: renderedRows), fragment: "#q=password-not-synced")
        let rows = HTMLReportTests.bodyRows(dom.replacingOccurrences(of: "<tr ", with: "\n<tr "))
        let visible = rows.filter { !$0.contains("hidden") }
        #expect(visible.count == 6)
        #expect(dom.contains("id=\"shown\">6 of \(ReportFixture.full.findings.count) findings shown<"))
        #expect(visible.allSatisfy { $0.contains("data-severity=\"error\"") })
    }

    /// The report with a driver script appended that clicks like a person would (the page's CSP is
    /// dropped for this copy only: it allows no script but the report's own).
    static func driven(_ driver: String, html: String = HTMLReport.render(ReportFixture.full)) -> String {
        let withoutCSP = html.replacingOccurrences(of: #"<meta http-equiv="Content-Security-Policy"[^>]*>\n"#, with: "",
                                                   options: .regularExpression)
        return withoutCSP.replacingOccurrences(of: "</body>", with: "<script>\(driver)</script>\n</body>")
    }

    /// One "tenant" per tenant finding and the domain's name per domain finding: those rows have
    /// no user and sort last.
    static var tenantRows: [String] {
        ReportFixture.full.findings.filter { $0.scope != .user }.map { $0.scope == .tenant ? "tenant" : $0.domain ?? "" }
    }

    static func order(_ dom: String) -> [String] {
        HTMLReportTests.bodyRows(dom.replacingOccurrences(of: "<tr ", with: "\n<tr ")).compactMap { row in
            row.range(of: #"data-subject="[^"]*""#, options: .regularExpression).map { String(row[$0].dropFirst(14).dropLast()) }
        }
    }

    @Test("Clicking a header sorts by it; clicking again reverses", arguments: [HTMLReport.renderedRows, allAsData])
    func sorting(renderedRows: Int) throws {
        let headers = "document.querySelectorAll('th .sort')"
        let html = HTMLReport.render(ReportFixture.full, renderedRows: renderedRows)
        // Column 2 is User · UPN: ascending by sAMAccountName, tenant rows (no user) last.
        let once = try Self.renderedDOM(Self.driven("\(headers)[2].click();", html: html))
        let names = Self.order(once)
        let users = ReportFixture.full.findings.filter { $0.scope == .user }
            .map { HTMLReport.esc(($0.directoryUser?.samAccountName ?? $0.cloudUser?.onPremisesSamAccountName ?? "").lowercased()) }
        #expect(names == users.sorted() + Self.tenantRows)
        #expect(once.contains("aria-sort=\"ascending\""))
        let twice = try Self.renderedDOM(Self.driven("\(headers)[2].click(); \(headers)[2].click();", html: html))
        #expect(Self.order(twice) == users.sorted().reversed() + Self.tenantRows, "empty cells stay last")
        #expect(twice.contains("aria-sort=\"descending\""))
        // On-prem pwdLastSet, oldest first; ties keep report order; no time (tenant, temporary, cloud-only) last.
        let byTime = Self.order(try Self.renderedDOM(Self.driven("\(headers)[3].click();", html: html)))
        let findings = ReportFixture.full.findings
        let expected = findings.indices.sorted { a, b in
            let x = findings[a].directoryUser?.pwdLastSet.date, y = findings[b].directoryUser?.pwdLastSet.date
            switch (x, y) {
            case let (x?, y?): return x != y ? x < y : a < b
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a < b
            }
        }.map { findings[$0].scope == .tenant ? "tenant" : findings[$0].scope == .domain ? findings[$0].domain ?? ""
            : HTMLReport.esc(findings[$0].directoryUser?.samAccountName ?? findings[$0].cloudUser?.onPremisesSamAccountName ?? "") }
        #expect(byTime == expected)
    }

    @Test("Severity toggles and code chips filter the rows", arguments: [HTMLReport.renderedRows, allAsData])
    func toggles(renderedRows: Int) throws {
        let html = HTMLReport.render(ReportFixture.full, renderedRows: renderedRows)
        let dom = try Self.renderedDOM(Self.driven("document.querySelector('input[data-severity=info]').click();", html: html))
        let rows = HTMLReportTests.bodyRows(dom.replacingOccurrences(of: "<tr ", with: "\n<tr "))
        #expect(rows.filter { !$0.contains("hidden") }.count == ReportFixture.full.findings.count { $0.severity != .info })
        #expect(rows.filter { $0.contains("data-severity=\"info\"") }.allSatisfy { $0.contains("hidden") })
        let chip = try Self.renderedDOM(Self.driven("document.querySelector('[data-filter=\"anchor-mismatch\"]').click();", html: html))
        let visible = Self.order(chip.components(separatedBy: "hidden=\"\"").joined(separator: "HIDDEN"))
        #expect(chip.contains("id=\"shown\">1 of \(ReportFixture.full.findings.count) findings shown<"))
        #expect(visible.contains("leo"))
    }

    @Test("The clean report opens too")
    func clean() throws {
        let dom = try Self.renderedDOM(HTMLReport.render(ReportFixture.clean))
        #expect(dom.contains("data-ready=\"1\""))
        #expect(dom.contains("<strong>No findings.</strong>"))
    }
}
