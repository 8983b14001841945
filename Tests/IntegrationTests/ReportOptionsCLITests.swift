import Foundation
import SyncAudit
import Testing

/// The report options of check and compare through the CLI: several reports from one run,
/// the table's layout, CSV for Excel, `--fail-on new` and accepted findings. No DC needed.
@Suite struct ReportOptionsCLITests {
    typealias Scenario = HistoryCLITests.Scenario

    @Test("--report writes every format from one run, atomically; stdout stays empty; each file is named on stderr")
    func severalReports() throws {
        let s = try Scenario()
        let json = s.folder + "/r.json", prom = s.folder + "/r.prom", html = s.folder + "/r.html"
        let result = try s.compare(broken: ["alice"], ["--report", "json:" + json, "--report", "prometheus:" + prom, "--report", "html:" + html])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        for (path, format) in [(json, "json"), (prom, "prometheus"), (html, "html")] {
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(result.stderr.contains("phs-check: wrote \(path) (\(format)): 1 error, 0 warnings, 0 info"), "\(result.stderr)")
        }
        let report = try HistoryCLITests.object(try Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(((report["summary"] as? [String: Any])?["bySeverity"] as? [String: Int])?["error"] == 1)
        // The findings by container: alice's OU.
        let containers = report["containers"] as? [[String: Any]]
        #expect(containers?.map { $0["container"] as? String } == ["OU=Staff,DC=corp,DC=example"])
        #expect((report["findings"] as? [[String: Any]])?.first?["waitedSeconds"] as? Int == 57_600)
        #expect(try String(contentsOfFile: html, encoding: .utf8).contains("OU=Staff,DC=corp,DC=example"))
        #expect(try String(contentsOfFile: prom, encoding: .utf8).contains(#"phs_check_findings{code="password-not-synced",domain="corp.example",scope="user",severity="error"} 1"#))
        #expect(try String(contentsOfFile: html, encoding: .utf8).contains("<!DOCTYPE html>"))
        // The run was recorded once.
        let runs = try s.historyJSON()["runs"] as? [[String: Any]]
        #expect(runs?.count == 1)

        // With --format too, the table goes to standard output as well.
        let both = try s.compare(broken: ["alice"], ["--format", "table", "--report", "json:" + json])
        #expect(String(decoding: both.stdout, as: UTF8.self).contains("password-not-synced"))
    }

    @Test("--report mistakes are refused before anything is read", arguments: [
        (["--report", "xml:/tmp/r.xml"], "--report"),
        (["--report", "json:/tmp/r.html"], "names a html file"),
        (["--report", "json:/tmp/a.json", "--report", "json:/tmp/./a.json"], "two reports would be written to /tmp/./a.json"),
        (["--output", "/tmp/b.csv", "--report", "csv:/tmp/b.csv"], "two reports would be written to /tmp/b.csv"),
        (["--fail-on", "new"], "--fail-on new compares with the previous run: add --history"),
        (["--limit=-1"], "--limit -1"),
        (["--sort", "age"], "--sort"),
        (["--csv-delimiter", "pipe"], "--csv-delimiter"),
    ])
    func refused(_ extra: [String], _ message: String) throws {
        let s = try Scenario()
        let result = try CommandRunner.phsCheck(["compare", "--snapshot", s.snapshot, "--cloud", try s.cloud(broken: []),
                                                 "--as-of", Scenario.asOf] + extra)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("--report to the file given as --snapshot is refused: the report would replace its input")
    func reportOverInput() throws {
        let s = try Scenario()
        let result = try s.compare(broken: [], ["--report", "json:" + s.snapshot])
        #expect(result.status == 2)
        #expect(result.stderr.contains("is the file given to --snapshot"), "\(result.stderr)")
    }

    @Test("--fail-on new: exit 1 when an error is new, 0 when the same ones persist, 1 again for another new one")
    func failOnNew() throws {
        let s = try Scenario()
        let first = try s.compare(broken: ["alice"], ["--fail-on", "new", "--format", "json"])
        #expect(first.status == 1, "\(first.stderr)")
        let second = try s.compare(broken: ["alice"], ["--fail-on", "new", "--format", "json"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(HistoryCLITests.statuses(try HistoryCLITests.object(second.stdout)) == ["alice": "persisting"])
        let third = try s.compare(broken: ["alice", "bob"], ["--fail-on", "new", "--format", "json"])
        #expect(third.status == 1)
        // The default stays: any error fails, new or not.
        let fourth = try s.compare(broken: ["alice", "bob"], ["--format", "json"])
        #expect(fourth.status == 1)
    }

    @Test("--exceptions: an accepted finding is shown as accepted and does not fail the run; an expired one is a warning")
    func exceptions() throws {
        let s = try Scenario()
        let file = s.folder + "/exceptions.yaml"
        try """
            exceptions:
              - code: password-not-synced
                user: ALICE@corp.example
                reason: Leaver, mailbox kept until the HR case closes
                expires: 2099-12-31
              - code: password-not-synced
                dn: "CN=bob,OU=*,DC=corp,DC=example"
                reason: expired long ago
                expires: 2024-06-30
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let accepted = try s.compare(broken: ["alice"], ["--exceptions", file, "--format", "json"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        let report = try HistoryCLITests.object(accepted.stdout)
        let summary = report["summary"] as? [String: Any]
        #expect(summary?["accepted"] as? Int == 1)
        #expect((summary?["bySeverity"] as? [String: Int])?["error"] == 0)
        let finding = (report["findings"] as? [[String: Any]])?.first
        #expect((finding?["accepted"] as? [String: Any])?["reason"] as? String == "Leaver, mailbox kept until the HR case closes")
        #expect((finding?["accepted"] as? [String: Any])?["exception"] as? String == "\(file) line 2")
        let warnings = report["warnings"] as? [[String: Any]] ?? []
        #expect(warnings.map { $0["code"] as? String } == ["exception-expired"])
        #expect((warnings.first?["message"] as? String)?.contains("\(file) line 6") == true)

        // bob's exception has expired: his finding counts.
        let expired = try s.compare(broken: ["alice", "bob"], ["--exceptions", file])
        #expect(expired.status == 1)
        let table = String(decoding: expired.stdout, as: UTF8.self)
        #expect(table.contains("ACCEPTED (1)"), "\(table)")
        #expect(table.contains("1 error   0 warnings   0 info   1 accepted"), "\(table)")
        #expect(table.contains("WARNINGS (1)"))

        try "exceptions:\n  - code: password-not-synced\n    user: alice\n    expires: 2099-01-01\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try s.compare(broken: ["alice"], ["--exceptions", file])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("\(file):2: this exception has no reason"), "\(bad.stderr)")
        #expect(bad.stdout.isEmpty)
    }

    @Test("the table to a pipe: --limit, --layout compact and --sort, and the summary repeated at the end")
    func tableLayout() throws {
        let s = try Scenario()
        let result = try s.compare(broken: ["alice", "bob", "carol"], ["--limit", "2", "--layout", "compact", "--sort", "name"])
        #expect(result.status == 1)
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        let findingLines = lines.filter { $0.hasPrefix("E ") }
        #expect(findingLines.count == 2)
        #expect(findingLines[0].contains(" alice ") && findingLines[1].contains(" bob "))
        #expect(lines.contains("1 more findings not shown (--limit 2): every finding is in --format csv, json or html."))
        #expect(lines.last == "Summary  3 errors   0 warnings   0 info")

        // To a pipe, auto is the full layout: every finding with its command.
        let full = try s.compare(broken: ["alice", "bob", "carol"], [])
        #expect(String(decoding: full.stdout, as: UTF8.self).components(separatedBy: "    Run: ").count == 4)
    }

    @Test("--csv-delimiter semicolon: cells split on ';', a cell holding ';' quoted, waitedSeconds filled")
    func csvSemicolon() throws {
        let s = try Scenario()
        let result = try s.compare(broken: ["alice"], ["--format", "csv", "--csv-delimiter", "semicolon"])
        let text = String(decoding: result.stdout, as: UTF8.self)
        let rows = text.components(separatedBy: "\r\n")
        let header = rows[0].dropFirst().split(separator: ";").map(String.init)  // the BOM first
        #expect(header.contains("waitedSeconds") && header.first == "severity")
        let row = rows[1].split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        #expect(row.count == header.count)
        // asOf 2024-07-02T00:00:00Z − pwdLastSet 2024-07-01T08:00:00Z.
        #expect(row[header.firstIndex(of: "waitedSeconds")!] == "57600")
    }

    @Test("a CSV made on Windows: its Windows time zone name is understood, and a time in the repeated hour is judged both ways")
    func windowsZoneAndRepeatedHour() throws {
        let s = try Scenario()
        // 27.10.2024 02:30:00 in W. Europe Standard Time (Europe/Berlin) is 00:30Z or 01:30Z: both
        // months after alice's change, so both readings give the same verdict (cloud-password-newer),
        // which stands; not password-time-ambiguous.
        var csv = "\"Id\",\"UserPrincipalName\",\"AccountEnabled\",\"LastPasswordChangeDateTime\",\"OnPremisesImmutableId\",\"OnPremisesSyncEnabled\"\r\n"
        for (index, name) in Scenario.names.enumerated() {
            csv += "\"id-\(name)\",\"\(name)@corp.example\",\"True\",\"\(index == 0 ? "27.10.2024 02:30:00" : "01.07.2024 10:01:00")\",\"\(Scenario.guid(index).base64)\",\"True\"\r\n"
        }
        let path = s.folder + "/users.csv"
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CommandRunner.phsCheck(["compare", "--snapshot", s.snapshot, "--cloud", path, "--as-of", Scenario.asOf,
                                                 "--cloud-timezone", "W. Europe Standard Time", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try HistoryCLITests.object(result.stdout)
        let findings = try #require(report["findings"] as? [[String: Any]])
        #expect(findings.map { "\($0["samAccountName"] ?? "")/\($0["code"] ?? "")" } == ["alice/cloud-password-newer"])
        #expect(findings.first?["cloudLastPasswordChange"] as? String == "2024-10-27T00:30:00Z", "the earlier reading")
        #expect((report["summary"] as? [String: Any])?["matched"] as? Int == 4)
        let unknown = try CommandRunner.phsCheck(["compare", "--snapshot", s.snapshot, "--cloud", path, "--as-of", Scenario.asOf,
                                                  "--cloud-timezone", "Mars Standard Time"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("W. Europe Standard Time"), "\(unknown.stderr)")
    }

    @Test("--verbose says what was detected: the export's format, the join by key, the time of each stage")
    func verbose() throws {
        let s = try Scenario()
        let result = try s.compare(broken: ["alice"], ["--verbose", "--format", "json"])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("phs-check: cloud: ") && $0.contains(": graph-json, ") && $0.contains(", 4 users") }, "\(result.stderr)")
        #expect(lines.contains("phs-check: join: 4 of 4 directory users matched (4 by immutableId); 3 in sync; 1 findings"), "\(result.stderr)")
        #expect(lines.contains { $0.hasPrefix("phs-check: directory: ") && $0.hasSuffix(": 4 users") }, "\(result.stderr)")
        #expect(lines.contains { $0.hasPrefix("phs-check: as of 2024-07-02T00:00:00Z (option)") }, "\(result.stderr)")
        let time = try #require(lines.first { $0.hasPrefix("phs-check: time: ") })
        for stage in ["snapshot read", "cloud read", "comparison", "reports"] { #expect(time.contains(stage + " "), "\(time)") }
        // Without --verbose none of it.
        let quiet = try s.compare(broken: ["alice"], ["--format", "json"])
        #expect(!quiet.stderr.contains("phs-check: join:"))
    }

    @Test("a gzip-compressed export is read as the plain file; a damaged one is refused naming the file")
    func compressedExport() throws {
        let s = try Scenario()
        let plain = try s.cloud(broken: ["alice"])
        #expect(try CommandRunner.run("/bin/gzip", ["-k", "-9", plain]).status == 0)
        let expected = try s.compare(broken: ["alice"], ["--format", "json"])
        let compressed = try CommandRunner.phsCheck(["compare", "--snapshot", s.snapshot, "--cloud", plain + ".gz",
                                                     "--as-of", Scenario.asOf, "--format", "json"])
        #expect(compressed.status == 1, "\(compressed.stderr)")
        let findings = { (data: Data) in (try HistoryCLITests.object(data)["findings"] as? [[String: Any]])?.map { $0["samAccountName"] as? String } }
        #expect(try findings(compressed.stdout) == findings(expected.stdout))
        // Cut in half: refused, exit 2, no report.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: plain + ".gz"))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: s.folder + "/cut.json.gz"))
        let cut = try CommandRunner.phsCheck(["compare", "--snapshot", s.snapshot, "--cloud", s.folder + "/cut.json.gz", "--as-of", Scenario.asOf])
        #expect(cut.status == 2)
        #expect(cut.stdout.isEmpty)
        #expect(cut.stderr.contains("cut.json.gz") && cut.stderr.contains("ends early"), "\(cut.stderr)")
    }
}
