import Foundation
import Testing

/// The nightly run's files (README.md, "Run it nightly"): `Config/systemd/` and
/// `Config/cron/phs-check`. systemd-analyze checks the units; the command lines in them are run
/// with the built binary, their paths moved into a temporary folder, so that a renamed option
/// or a wrong path in a unit or the cron line fails here and not at 02:30.
@Suite struct SchedulingTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func file(_ relative: String) -> String { repository.appendingPathComponent(relative).path }

    static let systemdAnalyze: String? = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Skipped without systemd-analyze (Debian: package systemd), except under CI=true, where
    /// the test runs and fails: a green CI must mean the units were verified.
    static var canVerify: Bool { systemdAnalyze != nil || TestDirectory.isCI }

    @Test("systemd-analyze verify accepts phs-check.service and .timer with every drop-in", .enabled(if: canVerify))
    func systemdAnalyzeVerify() throws {
        #expect(Self.systemdAnalyze != nil, "systemd-analyze is missing: apt-get install systemd (scripts/install-deps.sh does)")
        let result = try CommandRunner.run("/bin/bash", [Self.file("Config/systemd/verify.sh")],
                                           environment: ["PHS_CHECK_BIN": CommandRunner.phsCheck])
        #expect(result.status == 0, "Config/systemd/verify.sh failed:\n\(result.stderr)")
        #expect(result.stderr.contains("PASSED"), "\(result.stderr)")
    }

    /// A folder standing in for the machine: `/etc/phs-check`, `/var/lib/phs-check`, the
    /// textfile collector's folder, the credentials directory and the cron log, with a config
    /// that points at a DC nobody listens on. Every command line must get past its options and
    /// the config file to the network: exit 3 (DC unreachable), never 2 (bad usage).
    struct Machine {
        let root: URL
        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("phs-check-scheduling-\(UUID().uuidString)")
            for folder in ["etc", "state", "textfile", "credentials", "log"] {
                try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
            }
            try write("etc/bind-password", "not-a-real-password\n")
            try write("credentials/bind-password", "not-a-real-password\n")
            try write("credentials/probe-password", "not-a-real-password\n")
            try write("state/entra-users.json", """
                {"value":[{"id":"6e0a2b1c-3f4d-4e5f-8a9b-0c1d2e3f4a5b","userPrincipalName":"alice@corp.example",\
                "accountEnabled":true,"lastPasswordChangeDateTime":"2024-01-01T00:00:00Z",\
                "onPremisesImmutableId":"hJ6iYkk0bUmUGO2a1zTWhA==","onPremisesSyncEnabled":true}]}
                """)
            // Port 9 (discard) on loopback: refused at once.
            try write("etc/phs-check.yaml", """
                ldap-url: ldaps://127.0.0.1:9
                bind-dn: svc-phscheck@corp.example
                cloud: \(path("state/entra-users.json"))
                timeout: 5s

                """)
            try write("etc/probe.yaml", """
                canary: phs-canary
                ldap-url: ldaps://127.0.0.1:9
                bind-dn: svc-phs-probe@corp.example
                timeout: 5s

                """)
        }

        func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

        func write(_ relative: String, _ text: String) throws {
            try Data(text.utf8).write(to: root.appendingPathComponent(relative))
        }

        /// The installed paths the files name, moved into this folder; `%d` is the credentials
        /// directory systemd would make.
        func relocate(_ text: String) -> String {
            [("/usr/local/bin/phs-check", CommandRunner.phsCheck),
             ("/etc/phs-check/", path("etc") + "/"),
             ("/var/lib/phs-check/", path("state") + "/"),
             ("/var/lib/prometheus/node-exporter/", path("textfile") + "/"),
             ("/var/log/phs-check/", path("log") + "/"),
             ("%d/", path("credentials") + "/")]
                .reduce(text) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    /// The non-empty `ExecStart=` lines of a unit file or drop-in, continuation lines joined.
    static func execStarts(_ relative: String) throws -> [String] {
        let text = try String(contentsOfFile: file(relative), encoding: .utf8)
            .replacingOccurrences(of: "\\\n", with: " ")
        return text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("ExecStart=") else { return nil }
            let value = line.dropFirst("ExecStart=".count).trimmingCharacters(in: .whitespaces)
            return value.isEmpty ? nil : value
        }
    }

    @Test("the units' ExecStart lines are command lines phs-check accepts",
          arguments: ["Config/systemd/phs-check.service", "Config/systemd/phs-check.service.d/prometheus.conf",
                      "Config/systemd/phs-check-probe.service"])
    func unitCommandLines(unit: String) throws {
        let lines = try Self.execStarts(unit)
        #expect(lines.count == 1, "\(unit): expected one ExecStart line, found \(lines.count)")
        for line in lines {
            let machine = try Machine()
            defer { machine.remove() }
            let words = line.split(separator: " ").map(String.init)
            #expect(words.first == "/usr/local/bin/phs-check", "\(unit): \(line)")
            #expect(!words.contains { $0.contains("%") && !$0.hasPrefix("%d/") }, "\(unit): a specifier other than %d: \(line)")
            let arguments = words.dropFirst().map(machine.relocate)
            let result = try CommandRunner.phsCheck(arguments)
            #expect(result.status == 3, "\(unit): phs-check \(arguments.joined(separator: " ")) exited \(result.status):\n\(result.stderr)")
            #expect(result.stderr.contains("cannot reach ldaps://127.0.0.1:9"), "\(result.stderr)")
            if arguments.first == "probe" {
                // The collector sees a probe that could not run.
                let metrics = try String(contentsOfFile: machine.path("textfile/phs_check_probe.prom"), encoding: .utf8)
                #expect(metrics.contains("\nphs_check_probe_success 0\n"), "\(metrics)")
            }
            if arguments.contains("--history") {
                let history = try CommandRunner.phsCheck(["history", "--history", machine.path("state/history.sqlite"), "--format", "json"])
                #expect(history.status == 0, "\(history.stderr)")
                #expect(history.output.contains("cannot reach"), "the failed run is not in the history: \(history.output)")
            }
        }
    }

    /// The one job line of `Config/cron/phs-check`: schedule, user, command.
    static func cronJob() throws -> (schedule: [String], user: String, command: String) {
        let text = try String(contentsOfFile: file("Config/cron/phs-check"), encoding: .utf8)
        // Comments start with #, variables (SHELL=...) with a letter, jobs with a time field.
        let jobs = text.split(separator: "\n").filter { line in
            line.first.map { $0.isNumber || $0 == "*" || $0 == "@" } == true
        }
        #expect(jobs.count == 1, "Config/cron/phs-check: expected one job line, found \(jobs.count)")
        let job = String(try #require(jobs.first))
        var fields = job.split(separator: " ", maxSplits: 6, omittingEmptySubsequences: true).map(String.init)
        try #require(fields.count == 7, "a cron.d line has 5 time fields, the user and the command: \(job)")
        let command = fields.removeLast(), user = fields.removeLast()
        return (fields, user, command)
    }

    @Test("the cron line runs as written: one dated exit line per run, 75 while the previous run holds the lock")
    func cronLine() throws {
        let job = try Self.cronJob()
        #expect(job.schedule == ["30", "2", "*", "*", "*"])
        #expect(job.user == "phs-check")
        #expect(!job.command.contains("%"), "cron turns an unescaped % into a newline")
        let machine = try Machine()
        defer { machine.remove() }
        let command = machine.relocate(job.command)
        #expect(command.contains(CommandRunner.phsCheck), "the job does not run /usr/local/bin/phs-check: \(job.command)")

        let first = try CommandRunner.run("/bin/sh", ["-c", command])
        #expect(first.status == 0, "\(first.stderr)")
        let log = try String(contentsOfFile: machine.path("log/nightly.log"), encoding: .utf8)
        #expect(log.contains("phs-check: error: cannot reach ldaps://127.0.0.1:9"), "\(log)")
        let last = log.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d phs-check check exit 3 "#, options: .regularExpression) != nil, "\(last)")

        // The lock held (another run in progress): the job skips with 75 and reads nothing.
        let lock = machine.path("state/.nightly.lock")
        #expect(command.contains(lock), "the job's lock is not in /var/lib/phs-check: \(job.command)")
        let held = try CommandRunner.run("/usr/bin/flock", ["-n", lock, "/bin/sh", "-c", command])
        #expect(held.status == 0, "\(held.stderr)")
        let after = try String(contentsOfFile: machine.path("log/nightly.log"), encoding: .utf8)
        #expect(after.split(separator: "\n").last?.contains("phs-check check exit 75 ") == true, "\(after)")
        #expect(after.components(separatedBy: "cannot reach").count == log.components(separatedBy: "cannot reach").count,
                "phs-check ran although the lock was held: \(after)")
    }
}
