import CoreFoundation
import Foundation
import Testing

/// `phs-check collect` against the real Samba AD DC and slapd of scripts/test-directory.sh.
extension DirectoryWriters {
@Suite(.enabled(if: TestDirectory.available))
struct CollectTests {
    /// One snapshot read back: the header and the users by sAMAccountName.
    /// A snapshot as `collect` wrote it: the header, the user lines, and the closing line, which
    /// must count the users.
    struct Snapshot {
        var header: [String: Any]
        var users: [String: [String: Any]]
        /// The user lines.
        var lines: [String]

        init(_ result: CommandResult) throws {
            let lines = result.lines.map(String.init)
            try #require(lines.count >= 2, "no complete snapshot on standard output; stderr: \(result.stderr)")
            header = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
            let trailer = try #require(try JSONSerialization.jsonObject(with: Data(lines[lines.count - 1].utf8)) as? [String: Any])
            #expect(trailer["kind"] as? String == "phs-check/ad-snapshot-end")
            #expect(trailer["users"] as? Int == lines.count - 2, "the closing line counts the user lines")
            var users: [String: [String: Any]] = [:]
            for line in lines.dropFirst().dropLast() {
                let user = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                users[try #require(user["samAccountName"] as? String)] = user
            }
            self.users = users
            self.lines = Array(lines.dropFirst().dropLast())
        }
    }

    static func collect(_ dc: TestDirectory, _ extra: [String], environment: [String: String] = [:],
                        measureMemory: Bool = false) throws -> CommandResult {
        try CommandRunner.phsCheck(["collect", "--quiet"] + extra, environment: environment, measureMemory: measureMemory)
    }

    static func ldaps(_ dc: TestDirectory) -> [String] {
        ["--ldap-url", dc.url, "--ca-file", dc.caFile, "--bind-dn", dc.bindDN, "--bind-password-file", dc.passwordFile]
    }

    @Test("LDAPS, StartTLS and GSSAPI binds collect the same users, more than one AD page")
    func threeBindsSameUsers() throws {
        let dc = try TestDirectory.require()
        let viaLDAPS = try Self.collect(dc, Self.ldaps(dc))
        #expect(viaLDAPS.status == 0, "\(viaLDAPS.stderr)")
        let viaStartTLS = try Self.collect(dc, ["--ldap-url", dc.ldapURL, "--starttls", "--ca-file", dc.caFile,
                                                "--bind-dn", dc.bindDN, "--bind-password-file", dc.passwordFile])
        #expect(viaStartTLS.status == 0, "\(viaStartTLS.stderr)")
        let viaGSSAPI = try Self.collect(dc, ["--ldap-url", dc.ldapURL, "--sasl-mech", "GSSAPI"],
                                         environment: dc.kerberosEnvironment)
        #expect(viaGSSAPI.status == 0, "\(viaGSSAPI.stderr)")

        let a = try Snapshot(viaLDAPS), b = try Snapshot(viaStartTLS), c = try Snapshot(viaGSSAPI)
        #expect(a.header["kind"] as? String == "phs-check/ad-snapshot")
        #expect(a.header["baseDN"] as? String == dc.baseDN)
        // More than AD's 1000-entry page limit: all 1100 bulk users and the staff arrived.
        let bulk = a.users.keys.filter { $0.hasPrefix("bulk") }
        #expect(bulk.count == 1100)
        #expect(a.users["alice.synced"] != nil && a.users["Administrator"] != nil)
        #expect(Set(a.lines) == Set(b.lines))
        #expect(Set(a.lines) == Set(c.lines))
        #expect(a.lines.count == Set(a.lines).count, "a user was written twice")
    }

    @Test("Every snapshot line validates against the JSON Schemas in docs/schema")
    func snapshotMatchesSchema() throws {
        let dc = try TestDirectory.require()
        let result = try Self.collect(dc, Self.ldaps(dc) + ["--search-base", "OU=Staff,\(dc.baseDN)"])
        try #require(result.status == 0, "\(result.stderr)")
        try SchemaValidator.validate(jsonLines: result.output, header: "snapshot-header", line: "snapshot-user", trailer: "snapshot-trailer")
    }

    @Test("A plain ldap:// simple bind that the DC refuses (allowed on our side): exit 3 with the advice")
    func plainSimpleBindRefused() throws {
        let dc = try TestDirectory.require()
        let result = try Self.collect(dc, ["--ldap-url", dc.ldapURL, "--bind-dn", dc.bindDN,
                                           "--bind-password-file", dc.passwordFile, "--allow-cleartext-bind"])
        #expect(result.status == 3)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("ldaps://"))
        #expect(result.stderr.contains("--starttls"))
        #expect(result.stderr.contains("--sasl-mech GSSAPI"))
        #expect(result.stderr.contains("8"))
        #expect(!result.stderr.contains(dc.password))
    }

    @Test("A wrong password exits 3 and appears in no output, even verbose")
    func wrongPassword() throws {
        let dc = try TestDirectory.require()
        let secret = "Wr0ng-\(UUID().uuidString)"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)").path
        try (secret + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        for extra in [["--bind-password-file", file], ["--verbose", "--bind-password-file", file]] {
            let result = try Self.collect(dc, ["--ldap-url", dc.url, "--ca-file", dc.caFile, "--bind-dn", dc.bindDN] + extra)
            #expect(result.status == 3)
            #expect(result.stderr.contains("invalid credentials"))
            #expect(!result.stderr.contains(secret) && !result.output.contains(secret))
        }
        // The same through the environment variable.
        let viaEnv = try Self.collect(dc, ["--ldap-url", dc.url, "--ca-file", dc.caFile, "--bind-dn", dc.bindDN, "--verbose"],
                                      environment: ["PHS_CHECK_BIND_PASSWORD": secret])
        #expect(viaEnv.status == 3)
        #expect(!viaEnv.stderr.contains(secret) && !viaEnv.output.contains(secret))
    }

    @Test("An untrusted certificate and an unreachable DC exit 3 with different advice")
    func tlsAndUnreachable() throws {
        let dc = try TestDirectory.require()
        // Connecting by IP: the certificate names dc1.phs.test.
        let byIP = try Self.collect(dc, ["--ldap-url", "ldaps://127.0.0.1", "--ca-file", dc.caFile,
                                         "--bind-dn", dc.bindDN, "--bind-password-file", dc.passwordFile])
        #expect(byIP.status == 3)
        #expect(byIP.stderr.contains("TLS"))
        #expect(byIP.stderr.contains("not for 127.0.0.1"), "a name mismatch, not an unknown CA: \(byIP.stderr)")
        let down = try Self.collect(dc, ["--ldap-url", "ldaps://127.0.0.1:1", "--bind-dn", dc.bindDN,
                                         "--bind-password-file", dc.passwordFile, "--timeout", "5s"])
        #expect(down.status == 3)
        #expect(down.stderr.contains("cannot reach"))
        // Several URLs are tried in order: the dead one first, then the DC.
        let failover = try Self.collect(dc, ["--ldap-url", "ldaps://127.0.0.1:1", "--ldap-url", dc.url, "--ca-file", dc.caFile,
                                             "--bind-dn", dc.bindDN, "--bind-password-file", dc.passwordFile,
                                             "--search-base", "OU=Staff,\(dc.baseDN)"])
        #expect(failover.status == 0, "\(failover.stderr)")
    }

    @Test("Decoded values equal what ldapsearch returns (and what the DC's extended DN says)")
    func decodedValuesMatchLDAPSearch() throws {
        let dc = try TestDirectory.require()
        let result = try Self.collect(dc, Self.ldaps(dc) + ["--search-base", "OU=Staff,\(dc.baseDN)"])
        try #require(result.status == 0, "\(result.stderr)")
        let snapshot = try Snapshot(result)
        let reference = try LDAPSearch.staff(dc)
        #expect(reference.count == 7)
        for entry in reference {
            let user = try #require(snapshot.users[entry.samAccountName], "\(entry.samAccountName) missing")
            #expect(user["distinguishedName"] as? String == entry.dn)
            #expect(user["objectGUIDBase64"] as? String == entry.objectGUIDBase64)
            #expect(user["objectGUID"] as? String == entry.extendedGUID)
            #expect(user["objectSid"] as? String == entry.extendedSID)
            #expect(user["pwdLastSetRaw"] as? String == entry.pwdLastSet)
            #expect(user["userAccountControl"] as? Int == Int(entry.userAccountControl))
            #expect(user["userPrincipalName"] as? String == entry.userPrincipalName)
            if let raw = Int64(entry.pwdLastSet), raw > 0 {
                // FILETIME → Unix seconds, computed here independently of phs-check's decoder.
                let seconds = (raw - 116_444_736_000_000_000) / 10_000_000
                let iso = try #require(user["pwdLastSet"] as? String)
                #expect(iso.hasPrefix(Self.isoSeconds(seconds)))
            }
        }
    }

    @Test("pwdLastSet 0 then -1 moves pwdLastSet but not unicodePwd; a new password moves both")
    func pwdLastSetTrick() throws {
        let dc = try TestDirectory.require()
        let result = try Self.collect(dc, Self.ldaps(dc) + ["--search-base", "OU=Staff,\(dc.baseDN)"])
        try #require(result.status == 0, "\(result.stderr)")
        let users = try Snapshot(result).users
        func times(_ name: String) throws -> (Date, Date) {
            let user = try #require(users[name])
            let set = try #require((user["pwdLastSet"] as? String).flatMap(Self.parseISO))
            let pwd = try #require((user["unicodePwdLastChanged"] as? String).flatMap(Self.parseISO))
            return (set, pwd)
        }
        let (daveSet, davePwd) = try times("dave.zeroneg")
        #expect(daveSet.timeIntervalSince(davePwd) >= 1, "0/-1 must leave pwdLastSet newer than the password")
        let (erinSet, erinPwd) = try times("erin.newpw")
        #expect(abs(erinSet.timeIntervalSince(erinPwd)) < 1)
        let (aliceSet, alicePwd) = try times("alice.synced")
        #expect(abs(aliceSet.timeIntervalSince(alicePwd)) < 1)
    }

    @Test("A disabled user and a must-change-password user decode as such")
    func disabledAndMustChange() throws {
        let dc = try TestDirectory.require()
        let result = try Self.collect(dc, Self.ldaps(dc) + ["--search-base", "OU=Staff,\(dc.baseDN)"])
        try #require(result.status == 0, "\(result.stderr)")
        let users = try Snapshot(result).users
        let bob = try #require(users["bob.disabled"])
        #expect(bob["enabled"] as? Bool == false)
        #expect((bob["flags"] as? [String])?.contains("ACCOUNTDISABLE") == true)
        let carol = try #require(users["carol.mustchange"])
        #expect(carol["mustChangePassword"] as? Bool == true)
        #expect(carol["pwdLastSetRaw"] as? String == "0")
        #expect(carol["pwdLastSet"] is NSNull)
        #expect(carol["enabled"] as? Bool == true)
        let alice = try #require(users["alice.synced"])
        #expect(alice["enabled"] as? Bool == true)
        #expect(alice["mustChangePassword"] as? Bool == false)
        #expect(alice["lockedOut"] as? Bool == false)
        #expect(users["frank.phsfiltered"]?["adminDescription"] as? String == "PHSFiltered")
        // grace.consistency's mS-DS-ConsistencyGuid was written as the bytes of this GUID.
        #expect(users["grace.consistency"]?["consistencyGuid"] as? String == "DCsdb06KX0ucPS56G5wNEQ==")
        #expect(users["alice.synced"]?["consistencyGuid"] is NSNull)
    }

    @Test("--output writes the file atomically; a failed run leaves no file")
    func atomicOutput() throws {
        let dc = try TestDirectory.require()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("collect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("snapshot.jsonl").path
        let ok = try Self.collect(dc, Self.ldaps(dc) + ["--search-base", "OU=Staff,\(dc.baseDN)", "--output", path])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.isEmpty)
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(written.split(separator: "\n").count == 9, "the header, 7 users, the closing line")
        let failedPath = folder.appendingPathComponent("failed.jsonl").path
        let failed = try Self.collect(dc, Self.ldaps(dc) + ["--search-base", "OU=Nowhere,\(dc.baseDN)", "--output", failedPath])
        #expect(failed.status == 2)
        #expect(failed.stderr.contains("--search-base"))
        #expect(!FileManager.default.fileExists(atPath: failedPath))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["snapshot.jsonl"])
    }

    @Test("Peak memory of collect does not grow with the number of users (slapd, two sizes)")
    func memoryDoesNotGrowWithUsers() throws {
        let dc = try TestDirectory.require()
        /// Peak RSS in KiB of a collect of every user under `base`, written to /dev/null.
        func peakKiB(_ base: String) throws -> Int {
            let result = try Self.collect(dc, ["--ldap-url", dc.slapdURL, "--allow-cleartext-bind", "--bind-dn", "CN=admin,\(base)",
                                               "--bind-password-file", dc.slapdPasswordFile, "--base-dn", base,
                                               "--output", "/dev/null"], measureMemory: true)
            try #require(result.status == 0, "\(result.stderr)")
            return try #require(result.peakKiB)
        }
        // Count what slapd holds with a stdout run of the small base, to be sure paging crossed 1000.
        let small = try Self.collect(dc, ["--ldap-url", dc.slapdURL, "--allow-cleartext-bind", "--bind-dn", "CN=admin,\(dc.slapdSmallBaseDN)",
                                          "--bind-password-file", dc.slapdPasswordFile, "--base-dn", dc.slapdSmallBaseDN])
        try #require(small.status == 0, "\(small.stderr)")
        #expect(small.lines.count - 2 == dc.slapdSmallUsers, "the users between the header and the closing line")
        let smallPeak = try peakKiB(dc.slapdSmallBaseDN)
        let largePeak = try peakKiB(dc.slapdLargeBaseDN)
        // --output to a device writes in place: the atomic rename must never replace /dev/null.
        let type = try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType
        #expect(type == .typeCharacterSpecial, "/dev/null is no longer a device")
        let ratio = Double(largePeak) / Double(smallPeak)
        print("collect peak RSS: \(dc.slapdSmallUsers) users \(smallPeak) KiB, \(dc.slapdLargeUsers) users \(largePeak) KiB, ratio \(String(format: "%.2f", ratio)) for \(dc.slapdLargeUsers / dc.slapdSmallUsers)x the users")
        // Ten times the users must cost far less than ten times the memory: a streaming reader
        // stays within a page's worth of entries (allow 25% for allocator noise).
        #expect(ratio < 1.25)
    }

    static func isoSeconds(_ unix: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: Double(unix)))
    }

    static func parseISO(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
}
