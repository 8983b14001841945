import Foundation
import Testing

/// `phs-check probe` end to end: a canary on the real Samba DC whose password the probe resets,
/// bound as an operator that holds "Reset password" on that one object and nothing more, and the
/// Graph emulator playing the sync engine (it watches the canary's pwdLastSet on the DC and
/// records the change in lastPasswordChangeDateTime after a delay, or never).
extension DirectoryWriters {
@Suite(.enabled(if: TestDirectory.available && GraphEmulator.available))
struct ProbeTests {
    struct Scenario: Sendable {
        var ou: String
        var folder: URL
        var canaryDN: String
        var canaryAnchor: String
        /// Another user the operator has no right on.
        var bystander: String
        var operatorUPN: String
        var operatorPasswordFile: String
        /// The DC's admin password without a line end (ldapsearch -y sends the file whole).
        var adminPasswordFile: String
    }

    static let scenario: Result<Scenario, any Error> = Result { try build() }

    static func build() throws -> Scenario {
        let dc = try TestDirectory.require()
        let admin = DirectoryAdmin(dc: dc)
        let (ou, folder) = try admin.freshScenario(prefix: "PROBE")
        try admin.createUser("probe.canary", in: ou)
        try admin.createUser("probe.bystander", in: ou)
        let operatorPassword = "Op3rator-\(UUID().uuidString.prefix(12))!"
        try admin.apply("""
            dn: CN=probe.operator,\(ou)
            changetype: add
            objectClass: user
            sAMAccountName: probe.operator
            userPrincipalName: probe.operator@\(dc.realm.lowercased())
            userAccountControl: 512
            unicodePwd:: \(DirectoryAdmin.unicodePwd(operatorPassword))

            """)
        let operatorPasswordFile = folder.appendingPathComponent("operator-password").path
        try operatorPassword.write(toFile: operatorPasswordFile, atomically: true, encoding: .utf8)
        chmod(operatorPasswordFile, 0o600)
        let adminPasswordFile = folder.appendingPathComponent("admin-password").path
        try dc.password.write(toFile: adminPasswordFile, atomically: true, encoding: .utf8)
        chmod(adminPasswordFile, 0o600)
        // "Reset password" (the User-Force-Change-Password extended right) for the operator on
        // the canary alone: what docs/PROBE.md has the admin grant with dsacls.
        let canaryDN = "CN=probe.canary,\(ou)"
        let smbConf = try #require(ProcessInfo.processInfo.environment["PHS_TEST_DC_SMB_CONF"])
        let shown = try CommandRunner.run("/usr/bin/samba-tool", ["user", "show", "probe.operator", "-s", smbConf, "--attributes=objectSid"])
        let operatorSID = try #require(shown.lines.first { $0.hasPrefix("objectSid: ") }?.dropFirst(11), "samba-tool user show: \(shown.output) \(shown.stderr)")
        let grant = try CommandRunner.run("/usr/bin/samba-tool", [
            "dsacl", "set", "-s", smbConf,
            "--objectdn", canaryDN, "--sddl", "(OA;;CR;00299570-246d-11d0-a768-00aa006e0529;;\(operatorSID))"])
        try #require(grant.status == 0, "samba-tool dsacl set: \(grant.stderr)")
        let anchor = try Self.attribute("objectGUID", of: canaryDN, dc: dc, file: adminPasswordFile)
        return Scenario(ou: ou, folder: folder, canaryDN: canaryDN, canaryAnchor: anchor, bystander: "CN=probe.bystander,\(ou)",
                        operatorUPN: "probe.operator@\(dc.realm.lowercased())", operatorPasswordFile: operatorPasswordFile,
                        adminPasswordFile: adminPasswordFile)
    }

    /// One attribute of an entry as ldapsearch prints it (a SID as text; binary values in base64).
    static func attribute(_ name: String, of dn: String, dc: TestDirectory, file: String) throws -> String {
        let found = try CommandRunner.run("/usr/bin/ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-x", "-H", dc.url, "-D", dc.bindDN,
                                                                   "-y", file, "-b", dn, "-s", "base", "(objectClass=*)", name],
                                          environment: ["LDAPTLS_CACERT": dc.caFile])
        try #require(found.status == 0, "ldapsearch: \(found.stderr)")
        let line = try #require(found.lines.first { $0.hasPrefix(name + ":") })
        return line.drop { $0 != " " }.trimmingCharacters(in: .whitespaces)
    }

    /// The canary's password now, as the DC holds it: its NT hash (`unicodePwd`, read from the
    /// DC's own database as root).
    static func canaryHash() throws -> [UInt8] {
        let shown = try CommandRunner.run("/usr/bin/samba-tool", ["user", "getpassword", "probe.canary", "-s",
                                                                   try #require(ProcessInfo.processInfo.environment["PHS_TEST_DC_SMB_CONF"]),
                                                                   "--attributes=unicodePwd"])
        let line = try #require(shown.lines.first { $0.hasPrefix("unicodePwd:: ") }, "\(shown.output) \(shown.stderr)")
        return try #require(Data(base64Encoded: String(line.dropFirst(13)))).map { $0 }
    }

    /// An emulator whose only user is the canary's cloud twin, its sync engine watching the canary
    /// with `delay` seconds (nil: the change never arrives).
    /// The public client the canary signs in with (`--prove-signin`).
    static let signInClient = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"

    static func emulator(_ s: Scenario, dc: TestDirectory, delay: Double?, cloudUser: [String: Any] = [:], syncsHash: Bool = true) throws -> GraphEmulator {
        var user: [String: Any] = [
            "id": UUID().uuidString.lowercased(), "userPrincipalName": "probe.canary@\(dc.realm.lowercased())", "accountEnabled": true,
            "lastPasswordChangeDateTime": "now-1d", "onPremisesImmutableId": s.canaryAnchor, "onPremisesSyncEnabled": true,
            "onPremisesSamAccountName": "probe.canary",
        ]
        user.merge(cloudUser) { _, new in new }
        return try GraphEmulator(scenario: [
            "users": [user],
            "publicClients": [Self.signInClient],
            "syncEngine": ["ldapUrl": dc.url, "caFile": dc.caFile, "bindDN": dc.bindDN, "passwordFile": s.adminPasswordFile,
                           "smbConf": try #require(ProcessInfo.processInfo.environment["PHS_TEST_DC_SMB_CONF"]),
                           "watch": [["dn": s.canaryDN, "cloudUser": user["userPrincipalName"]!, "account": "probe.canary",
                                      "hash": syncsHash, "delay": delay.map { $0 as Any } ?? NSNull()]]],
        ])
    }

    /// The probe's own bind: the operator, over LDAPS.
    static func directory(_ s: Scenario, dc: TestDirectory, url: String? = nil) -> [String] {
        ["--ldap-url", url ?? dc.url, "--ca-file", dc.caFile, "--bind-dn", s.operatorUPN, "--bind-password-file", s.operatorPasswordFile]
    }

    static func probe(_ arguments: [String]) throws -> (CommandResult, [String: Any]?) {
        let result = try CommandRunner.phsCheck(["probe", "--format", "json", "--poll-interval", "1s"] + arguments)
        let json = try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        return (result, json)
    }

    @Test("The change arrives after the sync engine's delay: exit 0, the arrival latency within a second of it")
    func arrives() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let delay = 3.0
        let emulator = try Self.emulator(s, dc: dc, delay: delay)
        let (result, json) = try Self.probe(["--canary", "probe.canary", "--probe-timeout", "30s"] + Self.directory(s, dc: dc) + (try emulator.options()))
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(json, "not JSON: \(result.output) \(result.stderr)")
        #expect(report["outcome"] as? String == "arrived")
        // The DC's own record of the reset: pwdLastSet, and unicodePwd's replication metadata.
        let changedAt = try #require((report["changedAt"] as? String).flatMap(CollectTests.parseISO))
        let unicodePwd = try #require((report["unicodePwdChangedAt"] as? String).flatMap(CollectTests.parseISO))
        #expect(abs(unicodePwd.timeIntervalSince(changedAt)) < 1.5)
        let stages = try #require(report["stages"] as? [[String: Any]])
        #expect(stages.compactMap { $0["stage"] as? String } == ["reset", "arrival", "observed"])
        // Graph's time has whole seconds: the arrival is the delay, less up to a second.
        let arrival = try #require(stages.first { $0["stage"] as? String == "arrival" }?["seconds"] as? Double)
        #expect(arrival > delay - 1 && arrival <= delay + 0.5, "arrival \(arrival) s, delay \(delay) s")
        let observed = try #require(stages.first { $0["stage"] as? String == "observed" }?["seconds"] as? Double)
        #expect(observed >= arrival)
        // The same probe for node_exporter.
        let metrics = s.folder.appendingPathComponent("arrived.prom").path
        let prom = try CommandRunner.phsCheck(["probe", "--canary", "probe.canary", "--poll-interval", "1s", "--format", "prometheus",
                                               "--output", metrics] + Self.directory(s, dc: dc) + (try emulator.options()))
        #expect(prom.status == 0, "\(prom.stderr)")
        let text = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(text.contains("\nphs_check_probe_success 1\n"), "\(text)")
        let latency = text.split(separator: "\n").first { $0.hasPrefix("phs_check_probe_latency_seconds{stage=\"arrival\"} ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
        #expect(latency.map { $0 > delay - 1 && $0 <= delay + 0.5 } == true, "\(text)")
        #expect((report["summary"] as? String)?.contains("arrived in Entra ID at") == true)
        // The DC's pwdLastSet is the one the sync engine saw move.
        #expect(try emulator.requests().contains { $0["syncEngine"] as? String == "arrived" })
        try SchemaValidator.validate(json: result.output, schema: "probe")
    }

    @Test("--prove-signin: the new password signs in and the previous one is refused; exit 0 with the sign-in stage")
    func signsIn() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let emulator = try Self.emulator(s, dc: dc, delay: 2)
        let (result, json) = try Self.probe(["--canary", "probe.canary", "--prove-signin", "--signin-client-id", Self.signInClient]
                                            + Self.directory(s, dc: dc) + (try emulator.options()))
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(json, "\(result.output)")
        #expect(report["outcome"] as? String == "arrived")
        #expect(report["previousPasswordRefused"] as? Bool == true)
        let stages = try #require(report["stages"] as? [[String: Any]])
        #expect(stages.compactMap { $0["stage"] as? String } == ["reset", "arrival", "observed", "signin"])
        let signin = try #require(stages.last?["seconds"] as? Double)
        #expect(signin >= 1.5, "signed in \(signin) s after the change, the sync engine's delay is 2 s")
        #expect((report["summary"] as? String)?.contains(") and signed in at ") == true, "\(report["summary"] ?? "")")
        // Two changes: the first made a password this run knows; the emulator saw both arrive,
        // refused one sign-in (the previous password) and took two.
        let requests = try emulator.requests()
        #expect(requests.filter { $0["syncEngine"] as? String == "arrived" }.count == 2)
        #expect(requests.filter { $0["signedIn"] as? Bool == true }.count == 2)
        #expect(requests.contains { $0["grant"] as? String == "password" && $0["error"] as? String == "AADSTS50126" })
        try SchemaValidator.validate(json: result.output, schema: "probe")
    }

    @Test("--prove-signin: the timestamp arrives but the hash does not (the case timestamps alone call healthy): exit 1")
    func hashNeverArrives() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let emulator = try Self.emulator(s, dc: dc, delay: 1, syncsHash: false)
        let (result, json) = try Self.probe(["--canary", "probe.canary", "--probe-timeout", "8s", "--prove-signin",
                                             "--signin-client-id", Self.signInClient] + Self.directory(s, dc: dc) + (try emulator.options()))
        #expect(result.status == 1, "\(result.stderr)")
        let findings = try #require(json?["findings"] as? [[String: Any]])
        #expect(findings.compactMap { $0["code"] as? String } == ["password-not-synced"])
        #expect((findings.first?["message"] as? String)?.contains("the new password does not sign in: the hash did not arrive") == true, "\(findings)")
        #expect(json?["arrivedAt"] is String, "the timestamp did arrive")
        #expect(json?["signedInAt"] is NSNull)
    }

    @Test("The change never arrives: exit 1 with check's password-not-synced and its troubleshooter command")
    func neverArrives() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let emulator = try Self.emulator(s, dc: dc, delay: nil)
        let (result, json) = try Self.probe(["--canary", s.canaryDN, "--probe-timeout", "5s"] + Self.directory(s, dc: dc) + (try emulator.options()))
        #expect(result.status == 1, "\(result.stderr)")
        let report = try #require(json)
        #expect(report["outcome"] as? String == "not-arrived")
        let findings = try #require(report["findings"] as? [[String: Any]])
        #expect(findings.compactMap { $0["code"] as? String } == ["password-not-synced"])
        #expect((findings.first?["command"] as? String)?.contains("Invoke-ADSyncDiagnostics -PasswordSync") == true)
        #expect((report["polls"] as? Int ?? 0) >= 2)
        // The table says it in words.
        let table = try CommandRunner.phsCheck(["probe", "--canary", "probe.canary", "--probe-timeout", "2s", "--poll-interval", "1s"]
                                               + Self.directory(s, dc: dc) + (try emulator.options()))
        #expect(table.status == 1)
        #expect(table.output.contains("FAIL  The password changed on-premises at"), "\(table.output)")
        #expect(table.output.contains("did not arrive in Entra ID within 2 s"))
        // For node_exporter: success 0, the stages not reached NaN, every series there.
        let metrics = s.folder.appendingPathComponent("probe.prom").path
        let prom = try CommandRunner.phsCheck(["probe", "--canary", "probe.canary", "--probe-timeout", "2s", "--poll-interval", "1s",
                                               "--format", "prometheus", "--output", metrics] + Self.directory(s, dc: dc) + (try emulator.options()))
        #expect(prom.status == 1, "\(prom.stderr)")
        let text = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(text.contains("\nphs_check_probe_success 0\n"), "\(text)")
        #expect(text.contains("phs_check_probe_latency_seconds{stage=\"arrival\"} NaN\n"), "\(text)")
        #expect(text.contains("phs_check_probe_latency_seconds{stage=\"reset\"} "))
    }

    @Test("A reason that keeps any change from arriving ends the probe before the password is touched")
    func blockedBeforeTheReset() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let before = try Self.attribute("pwdLastSet", of: s.canaryDN, dc: dc, file: s.adminPasswordFile)
        let emulator = try Self.emulator(s, dc: dc, delay: 1, cloudUser: ["onPremisesSyncEnabled": false])
        let (result, json) = try Self.probe(["--canary", "probe.canary"] + Self.directory(s, dc: dc) + (try emulator.options()))
        #expect(result.status == 1, "\(result.stderr)")
        #expect((json?["findings"] as? [[String: Any]])?.compactMap { $0["code"] as? String } == ["cloud-sync-disabled"])
        #expect(json?["outcome"] as? String == "not-changed")
        #expect((json?["summary"] as? String)?.hasPrefix("The canary's password was not changed") == true)
        #expect((json?["stages"] as? [Any])?.isEmpty == true)
        #expect(try Self.attribute("pwdLastSet", of: s.canaryDN, dc: dc, file: s.adminPasswordFile) == before)
    }

    @Test("The DC or Graph down: exit 3")
    func unreachable() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let emulator = try Self.emulator(s, dc: dc, delay: 1)
        let dcDown = try CommandRunner.phsCheck(["probe", "--canary", "probe.canary", "--timeout", "3s", "--max-retry-wait", "1s"]
                                                + Self.directory(s, dc: dc, url: "ldaps://127.0.0.1:1") + (try emulator.options()))
        #expect(dcDown.status == 3, "\(dcDown.stderr)")
        var nowhere = try emulator.options()
        for flag in ["--graph-url", "--login-url"] { nowhere[try #require(nowhere.firstIndex(of: flag)) + 1] = "https://127.0.0.1:1" }
        let graphDown = try CommandRunner.phsCheck(["probe", "--canary", "probe.canary", "--max-retry-wait", "1s", "--timeout", "3s"] + Self.directory(s, dc: dc) + nowhere)
        #expect(graphDown.status == 3, "\(graphDown.stderr)")
        #expect(graphDown.stderr.contains("refused"))
    }

    @Test("The operator's one right: another user's password cannot be reset (exit 3, saying which right to grant)")
    func leastPrivilege() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let bystander = try Self.emulator(s, dc: dc, delay: 1, cloudUser: [
            "userPrincipalName": "probe.bystander@\(dc.realm.lowercased())",
            "onPremisesImmutableId": try Self.attribute("objectGUID", of: s.bystander, dc: dc, file: s.adminPasswordFile)])
        let before = try Self.attribute("pwdLastSet", of: s.bystander, dc: dc, file: s.adminPasswordFile)
        let refused = try CommandRunner.phsCheck(["probe", "--canary", "probe.bystander"] + Self.directory(s, dc: dc) + (try bystander.options()))
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("grant the probe's account \"Reset password\" on that object only"), "\(refused.stderr)")
        #expect(try Self.attribute("pwdLastSet", of: s.bystander, dc: dc, file: s.adminPasswordFile) == before)
    }

    @Test("The NT hash the secrecy test looks for passwords with: RFC 1320's vectors, and a password found by its hash alone")
    func ntHash() {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(NTHash.md4([])) == "31d6cfe0d16ae931b73c59d7e0c089c0")
        #expect(hex(NTHash.md4(Array("abc".utf8))) == "a448017aaf21d8525fc10ae87aa6729d")
        #expect(hex(NTHash.md4(Array("12345678901234567890123456789012345678901234567890123456789012345678901234567890".utf8))) == "e33b4ddc9c38f2199c3e7b164fcc0536")
        let hash = NTHash.of(Array("Pa55-word!".utf8))
        #expect(NTHash.holdsPassword(Data("before Pa55-word! after".utf8), length: 10, hash: hash))
        #expect(!NTHash.holdsPassword(Data("before Pa55-wOrd! after".utf8), length: 10, hash: hash))
    }

    @Test("The password is in no output, log, argument list or environment, and the running probe can make no core file")
    func secrecy() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let emulator = try Self.emulator(s, dc: dc, delay: 3)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandRunner.phsCheck)
        process.arguments = ["probe", "--canary", "probe.canary", "--poll-interval", "1s", "--probe-timeout", "30s", "--verbose",
                             "--prove-signin", "--signin-client-id", Self.signInClient]
            + Self.directory(s, dc: dc) + (try emulator.options())
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // While it waits for the change: its limits, arguments and environment as the system shows them.
        Thread.sleep(forTimeInterval: 1.5)
        let proc = "/proc/\(process.processIdentifier)"
        let limits = (try? String(contentsOfFile: proc + "/limits", encoding: .utf8)) ?? ""
        let arguments = FileManager.default.contents(atPath: proc + "/cmdline") ?? Data()
        let environment = FileManager.default.contents(atPath: proc + "/environ") ?? Data()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(String(decoding: stderr, as: UTF8.self))")
        let coreLimit = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }
        #expect(coreLimit.map { $0.split(separator: " ", omittingEmptySubsequences: true).suffix(3).prefix(2) == ["0", "0"] } == true, "\(limits)")
        #expect(!arguments.isEmpty)
        let hash = try Self.canaryHash()
        #expect(hash.count == 16)
        let log = FileManager.default.contents(atPath: emulator.log) ?? Data()
        for (name, text) in [("standard output", stdout), ("standard error", stderr), ("the emulator's request log", log),
                             ("the argument list", arguments), ("the environment", environment)] {
            #expect(!NTHash.holdsPassword(text, length: 32, hash: hash), "the canary's password is in \(name)")
        }
    }

    @Test("--history records each probe, one that could not run too; history lists them with their latencies, and no row holds the password")
    func history() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let database = s.folder.appendingPathComponent("probes-\(UUID().uuidString).sqlite").path
        let never = try Self.emulator(s, dc: dc, delay: nil)
        let notArrived = try CommandRunner.phsCheck(["probe", "--canary", "probe.canary", "--probe-timeout", "2s", "--poll-interval", "1s",
                                                     "--history", database] + Self.directory(s, dc: dc) + (try never.options()))
        #expect(notArrived.status == 1, "\(notArrived.stderr)")
        let quick = try Self.emulator(s, dc: dc, delay: 1)
        let arrived = try CommandRunner.phsCheck(["probe", "--canary", "probe.canary", "--poll-interval", "1s", "--history", database]
                                                 + Self.directory(s, dc: dc) + (try quick.options()))
        #expect(arrived.status == 0, "\(arrived.stderr)")
        let down = try CommandRunner.phsCheck(["probe", "--canary", "probe.canary", "--timeout", "3s", "--history", database]
                                              + Self.directory(s, dc: dc, url: "ldaps://127.0.0.1:1") + (try quick.options()))
        #expect(down.status == 3)

        let listed = try CommandRunner.phsCheck(["history", "--history", database, "--format", "json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let probes = try #require((try JSONSerialization.jsonObject(with: listed.stdout) as? [String: Any])?["probes"] as? [[String: Any]])
        #expect(probes.compactMap { $0["outcome"] as? String } == ["failed", "arrived", "not-arrived"])
        let latency = try #require(probes[1]["latencySeconds"] as? [String: Any])
        #expect((latency["arrival"] as? Double).map { $0 > 0 && $0 <= 1.5 } == true, "\(latency)")
        #expect(probes[2]["latencySeconds"].flatMap { $0 as? [String: Any] }?["arrival"] is NSNull)
        #expect((probes[0]["message"] as? String)?.contains("cannot reach ldaps://127.0.0.1:1") == true)
        let table = try CommandRunner.phsCheck(["history", "--history", database])
        #expect(table.output.contains("PROBES (3, newest first"), "\(table.output)")
        #expect(table.output.contains("failed: cannot reach"))
        // The history file itself, byte for byte, against the canary's password now.
        let hash = try Self.canaryHash()
        let bytes = (FileManager.default.contents(atPath: database) ?? Data()) + (FileManager.default.contents(atPath: database + "-wal") ?? Data())
        #expect(!bytes.isEmpty)
        #expect(!NTHash.holdsPassword(bytes, length: 32, hash: hash), "the canary's password is in the history")
    }

    @Test("A canary in a group is refused: a mistyped --canary never resets a real user's password")
    func refusesARealUser() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let emulator = try Self.emulator(s, dc: dc, delay: 1)
        // Administrator is in Domain Admins (and adminCount 1).
        let admin = try CommandRunner.phsCheck(["probe", "--canary", "Administrator"] + Self.directory(s, dc: dc) + (try emulator.options()))
        #expect(admin.status == 2, "\(admin.stderr)")
        #expect(admin.stderr.contains("phs-check resets the password of a dedicated canary account only"), "\(admin.stderr)")
    }
}
}
