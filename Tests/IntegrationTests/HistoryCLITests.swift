import Foundation
import SyncAudit
import Testing

/// `--history DB` through the CLI (`compare` with hand-written snapshot and Graph export, no DC
/// needed) and `phs-check history`.
@Suite struct HistoryCLITests {
    /// A folder with a four-user snapshot (alice, bob, carol, dave; passwords set
    /// 2024-07-01T08:00:00Z) and cloud exports in which the `broken` users never got that change.
    final class Scenario {
        static let names = ["alice", "bob", "carol", "dave"]
        static let asOf = "2024-07-02T00:00:00Z"
        let folder: String
        var history: String { folder + "/history.sqlite" }
        var snapshot: String { folder + "/snapshot.jsonl" }

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("history-cli-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var lines = [#"{"baseDN":"DC=corp,DC=example","collectedAt":"2024-07-02T00:00:00Z","kind":"phs-check/ad-snapshot","server":"ldaps://dc1.corp.example","version":2}"#]
            for (index, name) in Self.names.enumerated() {
                let guid = Self.guid(index)
                lines.append("""
                    {"accountExpires":null,"adminDescription":null,"consistencyGuid":null,"distinguishedName":"CN=\(name),OU=Staff,DC=corp,DC=example","enabled":true,"flags":["NORMAL_ACCOUNT"],"lockedOut":false,"mustChangePassword":false,"objectGUID":"\(guid.uuidString)","objectGUIDBase64":"\(guid.base64)","objectSid":"S-1-5-21-1-2-3-\(1100 + index)","passwordExpired":false,"pwdLastSet":"2024-07-01T08:00:00Z","pwdLastSetRaw":null,"samAccountName":"\(name)","uSNChanged":1,"unicodePwdLastChanged":"2024-07-01T08:00:00Z","userAccountControl":512,"userPrincipalName":"\(name)@corp.example","whenChanged":"2024-07-01T08:00:00Z"}
                    """)
            }
            lines.append(#"{"kind":"phs-check/ad-snapshot-end","users":\#(Self.names.count)}"#)
            try (lines.joined(separator: "\n") + "\n").write(toFile: snapshot, atomically: true, encoding: .utf8)
        }

        deinit { try? FileManager.default.removeItem(atPath: folder) }

        static func guid(_ index: Int) -> ObjectGUID { ObjectGUID(uuidString: "42a9ee8f-f405-49d4-946c-4e23bfa6f7f\(index)")! }

        /// A Graph `/users` response in which `broken` users still have a password from May.
        func cloud(broken: Set<String>) throws -> String {
            let users = Self.names.enumerated().map { index, name in
                """
                {"id":"id-\(name)","userPrincipalName":"\(name)@corp.example","accountEnabled":true,\
                "lastPasswordChangeDateTime":"\(broken.contains(name) ? "2024-05-01T08:00:00Z" : "2024-07-01T08:01:00Z")",\
                "onPremisesImmutableId":"\(Self.guid(index).base64)","onPremisesSyncEnabled":true,\
                "onPremisesSamAccountName":"\(name)","onPremisesUserPrincipalName":"\(name)@corp.example",\
                "onPremisesProvisioningErrors":[]}
                """
            }
            let path = folder + "/cloud-\(broken.sorted().joined(separator: "-")).json"
            try "{\"value\":[\(users.joined(separator: ","))]}".write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        func compare(broken: Set<String>, _ extra: [String] = ["--format", "json"]) throws -> CommandResult {
            try CommandRunner.phsCheck(["compare", "--snapshot", snapshot, "--cloud", cloud(broken: broken),
                                        "--as-of", Self.asOf, "--history", history] + extra)
        }

        func historyJSON(_ extra: [String] = []) throws -> [String: Any] {
            let result = try CommandRunner.phsCheck(["history", "--history", history, "--format", "json"] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        }

        /// `PRAGMA integrity_check` by another SQLite than ours (Python's).
        func integrity() throws -> String {
            let script = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])"
            let result = try CommandRunner.run("/usr/bin/python3", ["-c", script, history])
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines) + result.stderr
        }
    }

    static func object(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func statuses(_ report: [String: Any]) -> [String: String] {
        var out: [String: String] = [:]
        for finding in report["findings"] as? [[String: Any]] ?? [] {
            out[finding["samAccountName"] as? String ?? "?"] = finding["status"] as? String
        }
        return out
    }

    @Test("two runs, one user fixed and another broken: resolved 1, one new, one persisting; history shows both")
    func fixedAndBroken() throws {
        let scenario = try Scenario()
        let first = try scenario.compare(broken: ["alice", "bob"])
        #expect(first.status == 1, "\(first.stderr)")
        let firstReport = try Self.object(first.stdout)
        #expect(Self.statuses(firstReport) == ["alice": "new", "bob": "new"])
        #expect((firstReport["summary"] as? [String: Any])?["resolved"] as? Int == 0)

        let second = try scenario.compare(broken: ["bob", "carol"])
        #expect(second.status == 1, "\(second.stderr)")
        try SchemaValidator.validate(json: second.output, schema: "report")
        let secondReport = try Self.object(second.stdout)
        #expect(Self.statuses(secondReport) == ["bob": "persisting", "carol": "new"])
        #expect((secondReport["summary"] as? [String: Any])?["resolved"] as? Int == 1)

        let table = try CommandRunner.phsCheck(["history", "--history", scenario.history])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.output.contains("2 runs"))
        #expect(table.output.contains("Run 2 "))
        #expect(table.output.contains("against run 1"))
        #expect(table.output.contains("1 new, 1 resolved, 1 persisting"))
        let newSection = try #require(table.output.range(of: "NEW (1)\n"))
        let resolvedSection = try #require(table.output.range(of: "RESOLVED (1)\n"))
        #expect(table.output[newSection.upperBound..<resolvedSection.lowerBound].contains("password-not-synced  error  carol  carol@corp.example"))
        #expect(table.output[resolvedSection.upperBound...].contains("password-not-synced  error  alice  alice@corp.example"))

        let json = try scenario.historyJSON()
        let runs = try #require(json["runs"] as? [[String: Any]])
        #expect(runs.map { $0["id"] as? Int } == [2, 1])
        #expect(runs.map { $0["new"] as? Int } == [1, 2])
        #expect(runs.map { $0["resolved"] as? Int } == [1, 0])
        #expect(runs.first?["asOf"] as? String == Scenario.asOf)
        let run = try #require(json["run"] as? [String: Any])
        #expect(run["id"] as? Int == 2 && run["previousRun"] as? Int == 1 && run["persisting"] as? Int == 1)
        #expect((run["new"] as? [[String: Any]])?.map { $0["samAccountName"] as? String } == ["carol"])
        #expect((run["resolved"] as? [[String: Any]])?.map { $0["samAccountName"] as? String } == ["alice"])

        // --run 1: the first run, all new.
        let firstRun = try #require(try scenario.historyJSON(["--run", "1"])["run"] as? [String: Any])
        #expect((firstRun["new"] as? [Any])?.count == 2 && (firstRun["resolved"] as? [Any])?.isEmpty == true)

        // A third run in the table format says which findings are new and which persist.
        let third = try scenario.compare(broken: ["carol"], ["--format", "table"])
        #expect(third.output.contains("carol@corp.example  [persisting, 2 runs]"), "\(third.output)")
        #expect(third.output.contains("Resolved  1 findings since the previous run"))
        #expect(try scenario.integrity() == "ok")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scenario.folder).filter { $0.hasPrefix("history") } == ["history.sqlite"])
    }

    @Test("a run that fails records a failed run and nothing else; the next run compares with the last good one")
    func failedRuns() throws {
        let scenario = try Scenario()
        #expect(try scenario.compare(broken: ["alice", "bob"]).status == 1)

        // The cloud export cannot be read.
        let unreadable = try CommandRunner.phsCheck(["compare", "--snapshot", scenario.snapshot, "--cloud", scenario.folder + "/missing.json",
                                                    "--history", scenario.history])
        #expect(unreadable.status == 2)
        #expect(unreadable.stderr.contains("missing.json"))
        // The report cannot be written: its findings were inserted, then rolled back.
        let report = scenario.folder + "/no-such-folder/report.json"
        let unwritable = try scenario.compare(broken: ["bob", "carol"], ["--format", "json", "--output", report])
        #expect(unwritable.status == 2)
        #expect(unwritable.stderr.contains("no-such-folder"))
        #expect(!FileManager.default.fileExists(atPath: report))

        let json = try scenario.historyJSON()
        let runs = try #require(json["runs"] as? [[String: Any]])
        #expect(runs.map { $0["succeeded"] as? Bool } == [false, false, true])
        #expect((runs[0]["failure"] as? String)?.contains("no-such-folder") == true)
        #expect((runs[1]["failure"] as? String)?.contains("missing.json") == true)
        #expect(runs[0]["findings"] == nil && runs[2]["findings"] as? Int == 2)
        // Without --run: the latest successful run.
        #expect((json["run"] as? [String: Any])?["id"] as? Int == 1)
        let failed = try CommandRunner.phsCheck(["history", "--history", scenario.history, "--run", "2"])
        #expect(failed.status == 0 && failed.output.contains("Run 2 failed at"))

        let next = try scenario.compare(broken: ["bob", "carol"])
        #expect(next.status == 1)
        #expect(Self.statuses(try Self.object(next.stdout)) == ["bob": "persisting", "carol": "new"])
        let latest = try #require(try scenario.historyJSON()["run"] as? [String: Any])
        #expect(latest["id"] as? Int == 4 && latest["previousRun"] as? Int == 1)
        #expect(try scenario.integrity() == "ok")
    }

    @Test("four processes recording on a new database at the same time all land, in one consistent chain")
    func concurrentProcesses() throws {
        let scenario = try Scenario()
        let brokenSets: [Set<String>] = [["alice", "bob"], ["bob", "carol"], ["carol"], ["alice", "dave"]]
        // The export files first, so the processes race on the database only.
        let clouds = try brokenSets.map { try scenario.cloud(broken: $0) }
        let results = ConcurrentSlots<Result<CommandResult, any Error>>(count: clouds.count)
        let (snapshot, history) = (scenario.snapshot, scenario.history)
        DispatchQueue.concurrentPerform(iterations: clouds.count) { index in
            results[index] = Result {
                try CommandRunner.phsCheck(["compare", "--snapshot", snapshot, "--cloud", clouds[index],
                                            "--as-of", Scenario.asOf, "--history", history, "--format", "json"])
            }
        }
        for index in clouds.indices {
            let result = try #require(results[index]).get()
            #expect(result.status == 1, "\(result.stderr)")
        }
        #expect(try scenario.integrity() == "ok")
        let runs = try #require(try scenario.historyJSON()["runs"] as? [[String: Any]])
        #expect(runs.count == clouds.count)
        #expect(runs.allSatisfy { $0["succeeded"] as? Bool == true })
        // Each run compared with the one committed just before it.
        for run in runs {
            let id = try #require(run["id"] as? Int)
            #expect(run["previousRun"] as? Int == (id == 1 ? nil : id - 1))
        }
    }

    @Test("history as a reader in the history's group (no write permission on the folder): read without locks, with a warning")
    func groupReader() throws {
        guard getuid() == 0 else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("CI runs as root: this test needs it to act as another user") }
            return
        }
        let scenario = try Scenario()
        #expect(try scenario.compare(broken: ["alice"]).status == 1)
        // A failed run with a long message must stay on its line of the runs table.
        let long = try scenario.compare(broken: [], ["--history", scenario.history, "--exceptions", scenario.folder + "/" + String(repeating: "missing-", count: 20) + ".yaml"])
        #expect(long.status == 2)
        let folder = scenario.folder + "/shared"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let copy = folder + "/history.sqlite"
        try FileManager.default.copyItem(atPath: scenario.history, toPath: copy)
        // root:nogroup, folder 0750 and file 0640: nobody (group nogroup) may read, never write.
        for (path, mode) in [(folder, 0o750), (copy, 0o640)] {
            #expect(chown(path, 0, 65534) == 0 && chmod(path, mode_t(mode)) == 0)
        }
        let result = try CommandRunner.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                                CommandRunner.phsCheck, "history", "--history", copy])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("read without locks"), "\(result.stderr)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("History \(copy): 2 runs") == true, "\(result.output)")
        let failed = try #require(lines.first { $0.contains("failed: ") })
        #expect(failed.count < 140, "\(failed)")
        #expect(failed.hasSuffix("… (--run 2 shows it whole)"), "\(failed)")
        #expect(!FileManager.default.fileExists(atPath: copy + "-shm"))

        // The same reader without read permission: refused, naming the file.
        #expect(chmod(copy, 0o600) == 0)
        let denied = try CommandRunner.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                                CommandRunner.phsCheck, "history", "--history", copy])
        #expect(denied.status == 2)
        #expect(denied.stderr.contains(copy), "\(denied.stderr)")
    }

    @Test("history refuses a missing database, a file that is not one, and an unknown run, with exit 2")
    func refusals() throws {
        let scenario = try Scenario()
        let missing = try CommandRunner.phsCheck(["history", "--history", scenario.history])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("does not exist"))
        #expect(!FileManager.default.fileExists(atPath: scenario.history))

        let notDatabase = try CommandRunner.phsCheck(["history", "--history", scenario.snapshot])
        #expect(notDatabase.status == 2)
        #expect(notDatabase.stderr.contains("not a phs-check history database"))

        #expect(try scenario.compare(broken: []).status == 0)
        let unknown = try CommandRunner.phsCheck(["history", "--history", scenario.history, "--run", "9"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no run 9"))

        // --history in a folder that does not exist: refused before anything is read.
        let noFolder = try scenario.compare(broken: [], ["--history", scenario.folder + "/nope/history.sqlite"])
        #expect(noFolder.status == 2)
        #expect(noFolder.stderr.contains("does not exist"))
    }
}

/// One slot per concurrent job, each written once under a lock.
final class ConcurrentSlots<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Value?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    subscript(index: Int) -> Value? {
        get { lock.withLock { values[index] } }
        set { lock.withLock { values[index] = newValue } }
    }
}
