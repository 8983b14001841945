import Foundation
import Testing

/// Issue "Hardening", the faults that end or endanger a run: the password never crosses the
/// network in clear text by accident, a password file holds exactly one password, a closed
/// pipe or SIGTERM ends a run as a recorded failure, and a cut snapshot is never compared.
@Suite(.enabled(if: TestDirectory.available))
struct RunSafetyTests {
    static func tempFile(_ name: String, _ contents: String, mode: Int = 0o600) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    static func slapd(_ dc: TestDirectory) -> [String] {
        ["--ldap-url", dc.slapdURL, "--bind-dn", "CN=admin,\(dc.slapdSmallBaseDN)", "--bind-password-file", dc.slapdPasswordFile,
         "--base-dn", dc.slapdSmallBaseDN, "--search-base", "OU=People,\(dc.slapdSmallBaseDN)"]
    }

    @Test("A simple bind on ldap:// without --starttls is refused before connecting, unless --allow-cleartext-bind (which warns)")
    func cleartextBind() throws {
        let dc = try TestDirectory.require()
        // slapd here accepts a clear-text bind: only phs-check stands between the password and the wire.
        let refused = try CommandRunner.phsCheck(["collect", "--quiet"] + Self.slapd(dc))
        #expect(refused.status == 2)
        #expect(refused.stdout.isEmpty)
        for advice in ["clear", "ldaps://", "--starttls", "--sasl-mech GSSAPI", "--allow-cleartext-bind"] {
            #expect(refused.stderr.contains(advice), "\(refused.stderr)")
        }
        let password = try String(contentsOfFile: dc.slapdPasswordFile, encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(!refused.stderr.contains(password))
        let allowed = try CommandRunner.phsCheck(["collect"] + Self.slapd(dc) + ["--allow-cleartext-bind", "--output", "/dev/null"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stderr.contains("warning: --allow-cleartext-bind"))
        // StartTLS and LDAPS are not clear text: no refusal, no warning.
        let startTLS = try CommandRunner.phsCheck(["collect", "--ldap-url", dc.ldapURL, "--starttls", "--ca-file", dc.caFile,
                                                   "--bind-dn", dc.bindDN, "--bind-password-file", dc.passwordFile,
                                                   "--search-base", "OU=Staff,\(dc.baseDN)", "--output", "/dev/null"])
        #expect(startTLS.status == 0, "\(startTLS.stderr)")
        #expect(!startTLS.stderr.contains("clear text"))
    }

    @Test("A password file: a final CRLF is not part of the password, a second line is refused, a readable file warns")
    func passwordFile() throws {
        let dc = try TestDirectory.require()
        let password = try String(contentsOfFile: dc.passwordFile, encoding: .utf8).trimmingCharacters(in: .newlines)
        let ldaps = ["--ldap-url", dc.url, "--ca-file", dc.caFile, "--bind-dn", dc.bindDN, "--search-base", "OU=Staff,\(dc.baseDN)",
                     "--output", "/dev/null"]
        let crlf = try Self.tempFile("pw-crlf", password + "\r\n")
        let ok = try CommandRunner.phsCheck(["collect", "--bind-password-file", crlf] + ldaps)
        #expect(ok.status == 0, "a Windows-edited file binds: \(ok.stderr)")
        #expect(!ok.stderr.contains("warning"))
        let twoLines = try Self.tempFile("pw-two", password + "\nsecond line\n")
        let refused = try CommandRunner.phsCheck(["collect", "--bind-password-file", twoLines] + ldaps)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("more than one line"))
        #expect(!refused.stderr.contains(password) && !refused.stderr.contains("second line"))
        let readable = try Self.tempFile("pw-readable", password + "\n", mode: 0o644)
        let warned = try CommandRunner.phsCheck(["collect", "--bind-password-file", readable] + ldaps)
        #expect(warned.status == 0, "\(warned.stderr)")
        #expect(warned.stderr.contains("can be read by other users (mode 644): chmod 600"))
    }

    @Test("collect cut off by a closed pipe exits non-zero with a message, and compare refuses what it wrote")
    func closedPipe() throws {
        let dc = try TestDirectory.require()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pipe-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // The slapd directory with 20,000 users: far more than the 300 kB the pipe takes.
        let script = """
            set -o pipefail
            '\(CommandRunner.phsCheck)' collect --quiet --ldap-url '\(dc.slapdURL)' --allow-cleartext-bind \
              --bind-dn 'CN=admin,\(dc.slapdLargeBaseDN)' --bind-password-file '\(dc.slapdPasswordFile)' \
              --base-dn '\(dc.slapdLargeBaseDN)' 2> '\(folder)/collect.err' | head -c 300000 > '\(folder)/cut.jsonl'
            echo "${PIPESTATUS[0]}"
            """
        let result = try CommandRunner.run("/bin/bash", ["-c", script])
        let status = Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(status != 0 && status != 141, "collect must not die of SIGPIPE, nor look successful: \(result.output)")
        let stderr = try String(contentsOfFile: folder + "/collect.err", encoding: .utf8)
        #expect(stderr.contains("standard output"), "\(stderr)")
        let cloud = try Self.tempFile("cloud", #"{"value":[{"id":"1","userPrincipalName":"x@y","lastPasswordChangeDateTime":"2024-01-01T00:00:00Z"}]}"#)
        let compare = try CommandRunner.phsCheck(["compare", "--snapshot", folder + "/cut.jsonl", "--cloud", cloud, "--format", "json"])
        #expect(compare.status == 2)
        #expect(compare.stdout.isEmpty)
        #expect(compare.stderr.contains("without its closing line") || compare.stderr.contains("line"), "\(compare.stderr)")
    }

    @Test("SIGTERM during a run: exit 143, a failed run in the history, the Prometheus file says it failed, no temporary file")
    func sigterm() throws {
        // A listener that accepts and never answers: the run waits in its TLS handshake.
        let listener = try SilentListener()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("term-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let cloud = try Self.tempFile("cloud", #"{"value":[{"id":"1","userPrincipalName":"x@y","lastPasswordChangeDateTime":"2024-01-01T00:00:00Z"}]}"#)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandRunner.phsCheck)
        process.arguments = ["check", "--ldap-url", "ldaps://127.0.0.1:\(listener.port)", "--bind-dn", "x@phs.test",
                             "--timeout", "30s", "--cloud", cloud, "--history", folder + "/history.sqlite",
                             "--format", "prometheus", "--output", folder + "/phs-check.prom"]
        process.environment = ProcessInfo.processInfo.environment.merging(["PHS_CHECK_BIND_PASSWORD": "unused"]) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 1.5)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 143, "\(stderr)")
        #expect(stderr.contains("interrupted by SIGTERM"))
        let metrics = try String(contentsOfFile: folder + "/phs-check.prom", encoding: .utf8)
        #expect(metrics.contains("phs_check_run_success 0"))
        let history = try CommandRunner.phsCheck(["history", "--history", folder + "/history.sqlite", "--format", "json"])
        #expect(history.output.contains("\"succeeded\":false"), "\(history.output)")
        #expect(history.output.contains("interrupted by SIGTERM"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// SIGTERM while collect is writing its snapshot (the temporary file beside --output already
    /// holds users): exit 143, and neither the snapshot nor the temporary file is left.
    @Test(.timeLimit(.minutes(1)))
    func sigtermWhileWriting() throws {
        let dc = try TestDirectory.require()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("term-collect-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/snapshot.jsonl"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandRunner.phsCheck)
        // Small pages of the large directory: the read takes long enough to be interrupted.
        process.arguments = ["collect", "--quiet", "--ldap-url", dc.slapdURL, "--allow-cleartext-bind",
                             "--bind-dn", "CN=admin,\(dc.slapdLargeBaseDN)", "--bind-password-file", dc.slapdPasswordFile,
                             "--base-dn", dc.slapdLargeBaseDN, "--page-size", "20", "--output", output]
        // Under AddressSanitizer (scripts/memcheck.sh) the run ends from the signal handler while
        // the read is in flight, and LeakSanitizer would count what the read holds as leaked and
        // change the exit status: this test is about the signal, the leak checks are elsewhere.
        var environment = ProcessInfo.processInfo.environment
        environment["ASAN_OPTIONS"] = [environment["ASAN_OPTIONS"], "detect_leaks=0"].compactMap { $0 }.joined(separator: ":")
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let temporary = folder + "/.snapshot.jsonl.tmp-\(process.processIdentifier)"
        let deadline = Date().addingTimeInterval(20)
        var size = 0
        while size < 64 * 1024, Date() < deadline, process.isRunning {
            size = ((try? FileManager.default.attributesOfItem(atPath: temporary))?[.size] as? Int) ?? 0
            Thread.sleep(forTimeInterval: 0.01)
        }
        try #require(size >= 64 * 1024, "the temporary snapshot never held users while collect ran")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 143, "\(stderr)")
        #expect(stderr.contains("interrupted by SIGTERM"), "\(stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "no snapshot and no temporary file")
    }

    @Test("The connection lost in the middle of check --history --format prometheus --output: exit 3, a failed run, run_success 0")
    func connectionLostMidRun() throws {
        // The fake server closes the connection after 1,200 of 5,000 entries, without a result.
        let server = try FakeLDAPServer(["--scenario", "close-mid-search", "--entries", "5000", "--close-after", "1200"])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lost-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let cloud = try Self.tempFile("cloud", #"{"value":[{"id":"1","userPrincipalName":"x@y","lastPasswordChangeDateTime":"2024-01-01T00:00:00Z"}]}"#)
        let result = try CommandRunner.phsCheck(["check", "--ldap-url", server.url, "--allow-cleartext-bind", "--bind-dn", "CN=x,DC=fake,DC=test",
                                                 "--cloud", cloud, "--history", folder + "/history.sqlite",
                                                 "--format", "prometheus", "--output", folder + "/phs-check.prom"],
                                                environment: ["PHS_CHECK_BIND_PASSWORD": "unused"])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(!result.stderr.isEmpty)
        #expect(try String(contentsOfFile: folder + "/phs-check.prom", encoding: .utf8).contains("phs_check_run_success 0"))
        let history = try CommandRunner.phsCheck(["history", "--history", folder + "/history.sqlite", "--format", "json"])
        #expect(history.output.contains("\"succeeded\":false"), "\(history.output)")
    }

    @Test("A server's diagnostic with escape sequences, line breaks and bidi controls reaches the terminal as text")
    func hostileDiagnostic() throws {
        let server = try FakeLDAPServer(["--scenario", "result-code", "--code", "4",
                                         "--diagnostic", "limit\u{1B}]0;owned\u{07}\u{1B}[2J\nfake line\u{202E}txt.exe"])
        let result = try CommandRunner.phsCheck(["collect", "--ldap-url", server.url, "--allow-cleartext-bind", "--bind-dn", "CN=x,DC=fake,DC=test",
                                                 "--output", "/dev/null"], environment: ["PHS_CHECK_BIND_PASSWORD": "unused"])
        #expect(result.status != 0)
        #expect(!result.stderr.unicodeScalars.contains { [0x1B, 0x07, 0x202E].contains($0.value) }, "\(result.stderr)")
        #expect(result.stderr.contains("\u{FFFD}"), "\(result.stderr)")
        // Its line break cannot start a line of its own (a fake "phs-check: ..." line).
        #expect(!result.stderr.contains("\nfake line"), "\(result.stderr)")
    }
}
