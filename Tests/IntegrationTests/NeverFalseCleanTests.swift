import Foundation
import SyncAudit
import Testing

/// Issue "never a false clean", end to end against the real Samba DC's scenario: `explain` is
/// `check` for one user, and every input that could turn a real `password-not-synced` into a
/// quiet run fails or says so in the report itself.
extension DirectoryWriters.CheckEndToEndTests {
    static func finding(_ object: [String: Any]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: .sortedKeys)) ?? Data(), as: UTF8.self)
    }

    @Test("explain gives every user of the scenario exactly the findings check gives it (live, and offline from the snapshot)")
    func explainEqualsCheckForEveryUser() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let check = try CommandRunner.phsCheck(["check", "--quiet", "--format", "json", "--cloud", s.graphJSON] + Self.ldaps(dc, s.ou) + s.common)
        #expect(check.status == 1, "\(check.stderr)")
        let checkFindings = try #require(try Self.json(check)["findings"] as? [[String: Any]])
        for user in Self.expected.keys.sorted() where user != "e2e.orphan" {
            let fromCheck = checkFindings.filter { $0["samAccountName"] as? String == user }.map(Self.finding).sorted()
            for source in [Self.ldaps(dc, s.ou), ["--snapshot", s.snapshot]] {
                let explain = try CommandRunner.phsCheck(["explain", user, "--quiet", "--format", "json", "--fail-on", "never",
                                                          "--cloud", s.graphJSON] + source + s.common)
                #expect(explain.status == 0, "\(user): \(explain.stderr)")
                let object = try Self.json(explain)
                let fromExplain = try #require(object["findings"] as? [[String: Any]])
                    .filter { $0["scope"] as? String == "user" }.map(Self.finding).sorted()
                #expect(fromExplain == fromCheck, "\(user) from \(source[0])")
                #expect((object["steps"] as? [[String: Any]])?.count == RuleStep.allCases.count)
                try SchemaValidator.validate(json: explain.output, schema: "explain")
            }
        }
    }

    @Test("explain --snapshot reads no directory, and refuses --ldap-url beside it")
    func explainOffline() throws {
        let s = try Self.scenario.get()
        let table = try CommandRunner.phsCheck(["explain", "e2e.notsynced", "--snapshot", s.snapshot, "--cloud", s.graphJSON] + s.common)
        #expect(table.status == 1, "\(table.stderr)")
        #expect(table.output.contains("FAIL  Password"))
        #expect(table.output.contains("Run:  Invoke-ADSyncDiagnostics -PasswordSync -ADConnectorName 'phs.test' -DistinguishedName 'CN=e2e.notsynced,\(s.ou)'"))
        let both = try CommandRunner.phsCheck(["explain", "e2e.notsynced", "--snapshot", s.snapshot, "--ldap-url", "ldaps://127.0.0.1:1",
                                               "--cloud", s.graphJSON] + s.common)
        #expect(both.status == 2)
        #expect(both.stderr.contains("--snapshot and --ldap-url"))
    }

    /// The scenario's Graph export with `transform` applied to every user object.
    static func export(_ s: Scenario, _ name: String, _ transform: (inout [String: Any]) -> Void) throws -> String {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.graphJSON))) as? [String: Any])
        var users = try #require(object["value"] as? [[String: Any]])
        for index in users.indices { transform(&users[index]) }
        let path = s.folder.appendingPathComponent(name).path
        try JSONSerialization.data(withJSONObject: ["value": users]).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func warningCodes(_ report: [String: Any]) -> [String] {
        ((report["warnings"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String }
    }

    @Test("An export without onPremisesSyncEnabled: the password is still judged, and the report says the sync state is unknown")
    func syncStateUnknown() throws {
        let s = try Self.scenario.get()
        let path = try Self.export(s, "no-sync-state.json") { $0.removeValue(forKey: "onPremisesSyncEnabled") }
        let result = try CommandRunner.phsCheck(["compare", "--format", "json", "--snapshot", s.snapshot, "--cloud", path] + s.common)
        #expect(result.status == 1, "\(result.stderr)")
        let report = try Self.json(result)
        let codes = try Self.codes(report)
        #expect(codes["e2e.notsynced"] == ["password-not-synced"])
        #expect(!codes.values.joined().contains("cloud-sync-disabled"))
        #expect(Self.warningCodes(report).contains("sync-state-unknown"))
        #expect(result.stderr.contains("onPremisesSyncEnabled"))
        try SchemaValidator.validate(json: result.output, schema: "report")
    }

    @Test("An MSOnline CSV whose LastDirSyncTime is empty for everyone: the same")
    func msolWithoutDirSync() throws {
        let s = try Self.scenario.get()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.graphJSON))) as? [String: Any])
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "M/d/yyyy h:mm:ss a"
        var csv = "\"BlockCredential\",\"ImmutableId\",\"LastDirSyncTime\",\"LastPasswordChangeTimestamp\",\"ObjectId\",\"UserPrincipalName\"\r\n"
        for user in try #require(object["value"] as? [[String: Any]]) {
            let changed = try #require((user["lastPasswordChangeDateTime"] as? String).flatMap(DirectoryWriters.CollectTests.parseISO))
            let anchor = user["onPremisesImmutableId"] as? String ?? ""
            csv += "\"False\",\"\(anchor)\",\"\",\"\(formatter.string(from: changed))\",\"\(user["id"] as? String ?? "")\",\"\(user["userPrincipalName"] as? String ?? "")\"\r\n"
        }
        let path = s.folder.appendingPathComponent("msol.csv")
        try csv.write(to: path, atomically: true, encoding: .utf8)
        let result = try CommandRunner.phsCheck(["compare", "--format", "json", "--snapshot", s.snapshot, "--cloud", path.path,
                                                 "--cloud-timezone", "UTC"] + s.common)
        #expect(result.status == 1, "\(result.stderr)")
        let report = try Self.json(result)
        #expect(try Self.codes(report)["e2e.notsynced"] == ["password-not-synced"])
        #expect(Self.warningCodes(report).contains("sync-state-unknown"))
    }

    @Test("An inferred asOf before the directory read warns in the report (JSON, table, HTML, Prometheus) and on stderr")
    func inferredAsOf() throws {
        let s = try Self.scenario.get()
        // No --as-of: the export's newest timestamp stands in for its time.
        let common = ["--snapshot", s.snapshot, "--cloud", s.graphJSON, "--grace", "5s", "--max-skew", "1s"]
        let json = try CommandRunner.phsCheck(["compare", "--format", "json"] + common)
        #expect(json.status == 1, "\(json.stderr)")
        let report = try Self.json(json)
        #expect(report["asOfSource"] as? String == "inferred")
        #expect(Self.warningCodes(report).contains("as-of-inferred"))
        #expect(json.stderr.contains("phs-check: warning: the export's time was not given"))
        #expect(json.stderr.contains("--as-of"))
        let table = try CommandRunner.phsCheck(["compare", "--quiet"] + common)
        #expect(table.output.contains("WARNINGS ("))
        #expect(table.output.contains("as-of-inferred"))
        let html = try CommandRunner.phsCheck(["compare", "--quiet", "--format", "html"] + common)
        #expect(html.output.contains("This result is less than certain"))
        let prometheus = try CommandRunner.phsCheck(["compare", "--quiet", "--format", "prometheus"] + common)
        #expect(prometheus.output.contains("phs_check_warning{code=\"as-of-inferred\"} 1"))
        // The same export with its time given: no warning.
        let given = try CommandRunner.phsCheck(["compare", "--format", "json"] + common + ["--as-of", s.asOf])
        #expect(!Self.warningCodes(try Self.json(given)).contains("as-of-inferred"))
    }

    @Test("An inferred asOf three days old, with every change after it: both warnings in the report, but no refusal (a quiet tenant can be that old)")
    func inferredAsOfOldWithManyLater() throws {
        let s = try Self.scenario.get()
        let shifted = try Self.export(s, "three-days-old.json") { user in
            if let text = user["lastPasswordChangeDateTime"] as? String, let date = DirectoryWriters.CollectTests.parseISO(text) {
                user["lastPasswordChangeDateTime"] = Self.iso(date.addingTimeInterval(-3 * 86_400))
            }
        }
        let result = try CommandRunner.phsCheck(["compare", "--format", "json", "--snapshot", s.snapshot, "--cloud", shifted,
                                                 "--grace", "5s", "--max-skew", "1s"])
        #expect(result.status == 1, "\(result.stderr)")
        let report = try Self.json(result)
        #expect(report["asOfSource"] as? String == "inferred")
        let warnings = (report["warnings"] as? [[String: Any]]) ?? []
        let inferred = warnings.first { $0["code"] as? String == "as-of-inferred" }?["message"] as? String ?? ""
        #expect(inferred.contains("users changed their password after it"), "\(inferred)")
        #expect(inferred.contains("before the directory was read"), "\(inferred)")
        #expect(Self.warningCodes(report).contains("export-age"))
        #expect(result.stderr.contains("older than the directory read, beyond --max-export-age"), "\(result.stderr)")
    }

    @Test("An export known to be older than --max-export-age fails the run with exit 2 and how old it is")
    func exportTooOld() throws {
        let s = try Self.scenario.get()
        let twoDaysEarlier = try #require(DirectoryWriters.CollectTests.parseISO(s.asOf)).addingTimeInterval(-2 * 86_400)
        let old = ["--snapshot", s.snapshot, "--cloud", s.graphJSON, "--grace", "5s", "--max-skew", "1s", "--as-of", Self.iso(twoDaysEarlier)]
        let refused = try CommandRunner.phsCheck(["compare", "--format", "json"] + old)
        #expect(refused.status == 2)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.contains("2 d"))
        #expect(refused.stderr.contains("older than --max-export-age 1 d"))
        let allowed = try CommandRunner.phsCheck(["compare", "--format", "json", "--max-export-age", "3d"] + old)
        #expect(allowed.status == 1, "\(allowed.stderr)")
    }

    @Test("A repeated --cloud, or the same --snapshot twice, is refused instead of the last one silently winning")
    func repeatedInputs() throws {
        let s = try Self.scenario.get()
        let clouds = try CommandRunner.phsCheck(["compare", "--snapshot", s.snapshot, "--cloud", s.graphJSON, "--cloud", s.mgCSV] + s.common)
        #expect(clouds.status == 2)
        #expect(clouds.stderr.contains("--cloud is given 2 times"))
        #expect(clouds.stdout.isEmpty)
        // Several snapshots are several domains; the same one twice would count its users twice.
        let snapshots = try CommandRunner.phsCheck(["compare", "--snapshot", s.snapshot, "--snapshot", s.snapshot, "--cloud", s.graphJSON] + s.common)
        #expect(snapshots.status == 2)
        #expect(snapshots.stderr.contains("--snapshot \(s.snapshot) is given twice"), "\(snapshots.stderr)")
        #expect(snapshots.stdout.isEmpty)
    }

    @Test("A failed run replaces the published HTML page with a failure page naming the last good run")
    func htmlFailurePage() throws {
        let s = try Self.scenario.get()
        let page = s.folder.appendingPathComponent("report-\(UUID().uuidString).html").path
        let history = s.folder.appendingPathComponent("history-\(UUID().uuidString).sqlite").path
        let good = try CommandRunner.phsCheck(["compare", "--quiet", "--format", "html", "--output", page, "--history", history,
                                               "--snapshot", s.snapshot, "--cloud", s.graphJSON] + s.common)
        #expect(good.status == 1, "\(good.stderr)")
        #expect(try String(contentsOfFile: page, encoding: .utf8).contains("Password hash sync audit"))
        let failed = try CommandRunner.phsCheck(["check", "--quiet", "--format", "html", "--output", page, "--history", history,
                                                 "--ldap-url", "ldaps://127.0.0.1:1", "--bind-dn", "x@phs.test",
                                                 "--cloud", s.graphJSON] + s.common, environment: ["PHS_CHECK_BIND_PASSWORD": "unused"])
        #expect(failed.status == 3)
        let text = try String(contentsOfFile: page, encoding: .utf8)
        #expect(text.contains("The run failed: no result"))
        #expect(text.contains("cannot reach ldaps://127.0.0.1:1"))
        #expect(text.contains("The last successful run finished at"))
        #expect(!text.contains("e2e.notsynced"))
    }
}
