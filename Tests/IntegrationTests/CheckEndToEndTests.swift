import Foundation
import Testing

/// The product end to end against the real Samba AD DC: users put into every state of the
/// findings table by real directory operations, a cloud export written from their real GUIDs,
/// SIDs and times in two formats, then `check` (live), `compare` (snapshot) and `explain`.
extension DirectoryWriters {
@Suite(.enabled(if: TestDirectory.available))
struct CheckEndToEndTests {
    /// What each user should be reported as (the orphan is a cloud-only user).
    static let expected: [String: [String]] = [
        "e2e.synced": [],
        "e2e.notsynced": ["password-not-synced"],
        "e2e.pending": ["password-sync-pending"],
        "e2e.late": ["changed-after-export"],
        "e2e.temp": ["temporary-password"],
        "e2e.disabled": ["account-state-mismatch"],
        "e2e.missing": ["not-in-cloud"],
        "e2e.filtered": ["phs-excluded"],
        "e2e.consistency": [],
        "e2e.sidonly": [],
        "e2e.upnonly": [],
        "e2e.zeroneg": ["password-change-unconfirmed"],
        "e2e.orphan": ["orphaned-cloud-user"],
    ]

    /// The directory and the exports, built once for the suite.
    struct Scenario: Sendable {
        var ou: String
        var asOf: String
        var snapshot: String
        var graphJSON: String
        var mgCSV: String
        var folder: URL
        var common: [String]   // the comparison options every run takes
    }

    static let scenario: Result<Scenario, any Error> = Result { try build() }

    static func build() throws -> Scenario {
        let dc = try TestDirectory.require()
        let admin = DirectoryAdmin(dc: dc)
        let (ou, folder) = try admin.freshScenario(prefix: "E2E")
        let created = Date()
        for name in ["e2e.synced", "e2e.notsynced", "e2e.pending", "e2e.late", "e2e.temp", "e2e.missing", "e2e.sidonly", "e2e.zeroneg"] {
            try admin.createUser(name, in: ou)
        }
        try admin.createUser("e2e.upnonly", in: ou, upn: "Upn.Only@\(dc.realm.lowercased())")
        try admin.createUser("e2e.filtered", in: ou, extra: ["adminDescription: PHSFiltered"])
        try admin.createUser("e2e.consistency", in: ou, extra: ["mS-DS-ConsistencyGuid:: \(Data((0..<16).map { UInt8(0xA0 + $0) }).base64EncodedString())"])
        try admin.createUser("e2e.disabled", in: ou)
        try admin.replace("e2e.disabled", in: ou, "userAccountControl", "514")
        try admin.replace("e2e.temp", in: ou, "pwdLastSet", "0")
        // Replication metadata has one-second resolution: let the clock move before 0 then -1.
        Thread.sleep(forTimeInterval: 3)
        try admin.replace("e2e.zeroneg", in: ou, "pwdLastSet", "0")
        try admin.replace("e2e.zeroneg", in: ou, "pwdLastSet", "-1")
        // Everyone created so far is older than the 5 s grace by the time the export is taken.
        let wait = 7 - Date().timeIntervalSince(created)
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        try admin.resetPassword("e2e.pending", in: ou)
        let asOf = Date().addingTimeInterval(2)
        Thread.sleep(forTimeInterval: 3)
        try admin.resetPassword("e2e.late", in: ou)

        let snapshotPath = folder.appendingPathComponent("snapshot.jsonl").path
        let collect = try CommandRunner.phsCheck(["collect", "--quiet", "--ldap-url", dc.url, "--ca-file", dc.caFile,
                                                  "--bind-dn", dc.bindDN, "--bind-password-file", dc.passwordFile,
                                                  "--search-base", ou, "--output", snapshotPath])
        try #require(collect.status == 0, "\(collect.stderr)")
        let users = try CollectTests.Snapshot(CommandResult(status: 0, stdout: Data(contentsOf: URL(fileURLWithPath: snapshotPath)), stderr: "")).users
        try #require(users.count == 12)

        let cloud = try cloudUsers(users, asOf: asOf)
        let graph = folder.appendingPathComponent("users.json")
        try JSONSerialization.data(withJSONObject: ["@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": cloud.map(\.graph)],
                                   options: [.prettyPrinted, .sortedKeys]).write(to: graph)
        let csv = folder.appendingPathComponent("users.csv")
        try mgCSV(cloud).write(to: csv, atomically: true, encoding: .utf8)
        return Scenario(ou: ou, asOf: Self.iso(asOf), snapshot: snapshotPath, graphJSON: graph.path, mgCSV: csv.path,
                        folder: folder, common: ["--grace", "5s", "--max-skew", "1s", "--as-of", Self.iso(asOf)])
    }

    struct Cloud {
        var graph: [String: Any]
        var sam: String
        var lastChange: Date
    }

    /// The cloud side of each state, built from the users' real identifiers and times.
    static func cloudUsers(_ users: [String: [String: Any]], asOf: Date) throws -> [Cloud] {
        var result: [Cloud] = []
        for (sam, user) in users.sorted(by: { $0.key < $1.key }) where sam != "e2e.missing" {
            let pwdLastSet = (user["pwdLastSet"] as? String).flatMap(CollectTests.parseISO)
            let unicodePwd = try #require((user["unicodePwdLastChanged"] as? String).flatMap(CollectTests.parseISO))
            let stale = asOf.addingTimeInterval(-86_400)
            let lastChange: Date = switch sam {
            case "e2e.notsynced", "e2e.pending", "e2e.late", "e2e.filtered": stale
            case "e2e.zeroneg": unicodePwd // the password itself did arrive; only pwdLastSet moved
            default: (pwdLastSet ?? unicodePwd).addingTimeInterval(1)
            }
            var graph: [String: Any] = [
                "id": UUID().uuidString.lowercased(),
                "userPrincipalName": try #require(user["userPrincipalName"] as? String),
                "accountEnabled": true,
                "lastPasswordChangeDateTime": Self.iso(lastChange),
                "onPremisesSyncEnabled": true,
                "onPremisesSamAccountName": sam,
                "onPremisesSecurityIdentifier": try #require(user["objectSid"] as? String),
                "onPremisesImmutableId": try #require((user["consistencyGuid"] as? String) ?? (user["objectGUIDBase64"] as? String)),
            ]
            switch sam {
            case "e2e.sidonly":
                graph["onPremisesImmutableId"] = NSNull()
            case "e2e.upnonly":
                graph["onPremisesImmutableId"] = NSNull()
                graph["onPremisesSecurityIdentifier"] = NSNull()
                // The UPN alone, in another case: the join compares UPNs case-insensitively.
                graph["userPrincipalName"] = (user["userPrincipalName"] as? String)?.lowercased()
            default:
                break
            }
            result.append(Cloud(graph: graph, sam: sam, lastChange: lastChange))
        }
        // A synced cloud user whose on-premises twin is gone.
        let orphanTime = asOf.addingTimeInterval(-3600)
        result.append(Cloud(graph: [
            "id": UUID().uuidString.lowercased(), "userPrincipalName": "e2e.orphan@phs.test", "accountEnabled": true,
            "lastPasswordChangeDateTime": Self.iso(orphanTime), "onPremisesSyncEnabled": true,
            "onPremisesSamAccountName": "e2e.orphan", "onPremisesImmutableId": Data((0..<16).map { UInt8($0) }).base64EncodedString(),
            "onPremisesSecurityIdentifier": "S-1-5-21-1-2-3-999999",
        ], sam: "e2e.orphan", lastChange: orphanTime))
        return result
    }

    /// The same users as `Get-MgUser | Export-Csv` on an en-US machine in Amsterdam writes them.
    static func mgCSV(_ cloud: [Cloud]) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/Amsterdam")
        formatter.dateFormat = "M/d/yyyy h:mm:ss a"
        let columns = ["Id", "UserPrincipalName", "AccountEnabled", "LastPasswordChangeDateTime", "OnPremisesImmutableId",
                       "OnPremisesSyncEnabled", "OnPremisesSecurityIdentifier", "OnPremisesSamAccountName"]
        var text = "#TYPE Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser\r\n"
        text += columns.map { "\"\($0)\"" }.joined(separator: ",") + "\r\n"
        for user in cloud {
            let g = user.graph
            func s(_ key: String) -> String { (g[key] as? String) ?? "" }
            let row = [s("id"), s("userPrincipalName"), "True", formatter.string(from: user.lastChange), s("onPremisesImmutableId"),
                       "True", s("onPremisesSecurityIdentifier"), s("onPremisesSamAccountName")]
            text += row.map { "\"\($0)\"" }.joined(separator: ",") + "\r\n"
        }
        return text
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func ldaps(_ dc: TestDirectory, _ ou: String) -> [String] {
        ["--ldap-url", dc.url, "--ca-file", dc.caFile, "--bind-dn", dc.bindDN, "--bind-password-file", dc.passwordFile, "--search-base", ou]
    }

    /// Codes per user (samAccountName, else the cloud UPN's local part) from a JSON report.
    static func codes(_ report: [String: Any]) throws -> [String: [String]] {
        var byUser: [String: [String]] = [:]
        for finding in try #require(report["findings"] as? [[String: Any]]) where finding["scope"] as? String == "user" {
            let name = try #require(finding["samAccountName"] as? String)
            byUser[name, default: []].append(try #require(finding["code"] as? String))
        }
        return byUser
    }

    static func json(_ result: CommandResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "not JSON: \(result.output) \(result.stderr)")
    }

    @Test("check, live, with the export in Graph JSON and in Get-MgUser CSV: exactly the expected codes, exit 1",
          arguments: ["graph", "csv"])
    func checkLive(format: String) throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let cloud = format == "graph"
            ? ["--cloud", s.graphJSON]
            : ["--cloud", s.mgCSV, "--cloud-timezone", "Europe/Amsterdam", "--cloud-date-format", "M/d/yyyy h:mm:ss tt"]
        let result = try CommandRunner.phsCheck(["check", "--quiet", "--format", "json"] + Self.ldaps(dc, s.ou) + cloud + s.common)
        #expect(result.status == 1, "\(result.stderr)")
        let report = try Self.json(result)
        let codes = try Self.codes(report)
        for (user, expected) in Self.expected {
            #expect((codes[user] ?? []).sorted() == expected.sorted(), "\(user) (\(format))")
        }
        #expect(Set(codes.keys).isSubset(of: Set(Self.expected.keys)))
        let summary = try #require(report["summary"] as? [String: Any])
        #expect(summary["matched"] as? Int == 11)
        #expect(report["asOfSource"] as? String == "option")
        #expect(report["asOf"] as? String == s.asOf)
        try SchemaValidator.validate(json: result.output, schema: "report")

        // matchedBy for the anchors that matter, from a report that lists every matched user's key.
        let matchedBy = try Self.matchedBy(dc, s, cloud: cloud)
        #expect(matchedBy["e2e.consistency"] == "consistencyGuid")
        #expect(matchedBy["e2e.sidonly"] == "sid")
        #expect(matchedBy["e2e.upnonly"] == "upn")
        #expect(matchedBy["e2e.notsynced"] == "immutableId")
    }

    /// `explain` names the key that matched each user.
    static func matchedBy(_ dc: TestDirectory, _ s: Scenario, cloud: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for user in ["e2e.consistency", "e2e.sidonly", "e2e.upnonly", "e2e.notsynced"] {
            let explain = try CommandRunner.phsCheck(["explain", user, "--quiet", "--fail-on", "never"] + Self.ldaps(dc, s.ou) + cloud + s.common)
            #expect(explain.status == 0, "\(explain.stderr)")
            let line = explain.lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("matched by") }
            result[user] = line.map { String($0.split(separator: " ").last ?? "") }
        }
        return result
    }

    @Test("--fail-on never exits 0 with the same findings; --fail-on warning exits 1")
    func failOn() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let never = try CommandRunner.phsCheck(["check", "--quiet", "--format", "json", "--fail-on", "never", "--cloud", s.graphJSON] + Self.ldaps(dc, s.ou) + s.common)
        #expect(never.status == 0)
        #expect(try Self.codes(Self.json(never))["e2e.notsynced"] == ["password-not-synced"])
        // Only the synced user and a warning: warning fails, error does not.
        let warn = try CommandRunner.phsCheck(["check", "--quiet", "--fail-on", "warning", "--cloud", s.graphJSON, "--filter", "(|(sAMAccountName=e2e.synced)(sAMAccountName=e2e.disabled))"] + Self.ldaps(dc, s.ou) + s.common)
        #expect(warn.status == 1, "\(warn.stderr)")
        let error = try CommandRunner.phsCheck(["check", "--quiet", "--fail-on", "error", "--cloud", s.graphJSON, "--filter", "(|(sAMAccountName=e2e.synced)(sAMAccountName=e2e.disabled))"] + Self.ldaps(dc, s.ou) + s.common)
        #expect(error.status == 0, "\(error.stderr)")
    }

    @Test("compare on collect's snapshot gives the same findings as check")
    func compareEqualsCheck() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let check = try CommandRunner.phsCheck(["check", "--quiet", "--format", "json", "--cloud", s.graphJSON] + Self.ldaps(dc, s.ou) + s.common)
        let compare = try CommandRunner.phsCheck(["compare", "--quiet", "--format", "json", "--snapshot", s.snapshot, "--cloud", s.graphJSON] + s.common)
        #expect(compare.status == check.status)
        let a = try #require(try Self.json(check)["findings"] as? [[String: Any]])
        let b = try #require(try Self.json(compare)["findings"] as? [[String: Any]])
        let encode = { (findings: [[String: Any]]) in
            try findings.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: .sortedKeys), as: UTF8.self) }
        }
        #expect(try encode(a) == encode(b))
        #expect(a.count == Self.expected.values.filter { !$0.isEmpty }.count)
    }

    @Test("explain: a not-synced user, an unknown user, and LDAP filter metacharacters")
    func explain() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let base = Self.ldaps(dc, s.ou) + ["--cloud", s.graphJSON] + s.common
        let notSynced = try CommandRunner.phsCheck(["explain", "e2e.notsynced"] + base)
        #expect(notSynced.status == 1)
        #expect(notSynced.output.contains("FAIL  Password"))
        #expect(notSynced.output.contains("password-not-synced"))
        #expect(notSynced.output.contains("Invoke-ADSyncDiagnostics -PasswordSync"))
        #expect(notSynced.output.contains("CN=e2e.notsynced,\(s.ou)"))
        let synced = try CommandRunner.phsCheck(["explain", "e2e.synced@\(dc.realm.lowercased())"] + base)
        #expect(synced.status == 0, "\(synced.stderr)")
        #expect(synced.output.contains("Nothing to do"))
        let unknown = try CommandRunner.phsCheck(["explain", "nobody.here"] + base)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no user \"nobody.here\""))
        // Unescaped, this would match every user (or be a filter error): escaped, it names no one.
        let injection = try CommandRunner.phsCheck(["explain", "*)(uid=*"] + base)
        #expect(injection.status == 2)
        #expect(injection.stderr.contains("no user \"*)(uid=*\""))
        let star = try CommandRunner.phsCheck(["explain", "e2e.*"] + base)
        #expect(star.status == 2, "a * in a name is a character, not a wildcard")
    }

    @Test("An empty comparison is a loud error, never 'no findings'")
    func emptyComparisons() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let noUsers = try CommandRunner.phsCheck(["check", "--quiet", "--cloud", s.graphJSON, "--filter", "(sAMAccountName=nobody-at-all)"] + Self.ldaps(dc, s.ou) + s.common)
        #expect(noUsers.status == 2)
        #expect(noUsers.stderr.contains("no directory users in scope"))
        #expect(noUsers.stdout.isEmpty)
        // An export from another tenant: nothing matches.
        let other = s.folder.appendingPathComponent("other.json")
        try #"{"value":[{"id":"x","userPrincipalName":"someone@elsewhere.example","lastPasswordChangeDateTime":"2024-01-01T00:00:00Z","onPremisesSyncEnabled":true,"onPremisesImmutableId":"AAAAAAAAAAAAAAAAAAAAAA=="}]}"#
            .write(to: other, atomically: true, encoding: .utf8)
        let noMatch = try CommandRunner.phsCheck(["check", "--quiet", "--cloud", other.path] + Self.ldaps(dc, s.ou) + s.common)
        #expect(noMatch.status == 2)
        #expect(noMatch.stderr.contains("none of the 12 directory users matched"))
        let empty = s.folder.appendingPathComponent("empty.json")
        try #"{"value":[]}"#.write(to: empty, atomically: true, encoding: .utf8)
        let emptyCloud = try CommandRunner.phsCheck(["check", "--quiet", "--cloud", empty.path] + Self.ldaps(dc, s.ou) + s.common)
        #expect(emptyCloud.status == 2)
        #expect(emptyCloud.stdout.isEmpty)
    }
}
}
