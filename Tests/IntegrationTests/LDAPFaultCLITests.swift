import Foundation
import Testing

// The directory faults of LDAPFaultTests.swift as an admin meets them: `phs-check collect`, its
// exit code, its message on standard error, its time and memory.

/// `phs-check collect` against `url` with a simple bind (the password in a 0600 file) and
/// `extra` options; returns the result and how long it took.
private func collect(_ urls: [String], _ extra: [String], folder: URL, bindDN: String = "CN=reader,DC=fake,DC=test",
                     password: String = "not-a-secret", measureMemory: Bool = false) throws -> (CommandResult, Duration) {
    let passwordFile = try LDAPFault.privateFile(in: folder, "password", password)
    var arguments = ["collect", "--bind-dn", bindDN, "--bind-password-file", passwordFile,
                     "--output", folder.appendingPathComponent("users.jsonl").path, "--quiet"]
    for url in urls { arguments += ["--ldap-url", url] }
    arguments += extra
    return try LDAPFault.time { try CommandRunner.phsCheck(arguments, measureMemory: measureMemory) }
}

/// For the scripted server on ldap:// (no TLS): the bind must be allowed in clear text.
private let fake = ["--allow-cleartext-bind", "--base-dn", "DC=fake,DC=test", "--page-size", "100"]

@Suite("LDAP faults on the command line: scripted server")
struct LDAPFaultCLITests {
    /// 1. A server that hands out the same page forever: before, collect ran until killed.
    @Test(.timeLimit(.minutes(1)))
    func samePageForever() throws {
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try FakeLDAPServer(["--scenario", "same-cookie", "--page-entries", "2"])
        let (result, elapsed) = try collect([server.url], fake + ["--timeout", "30s"], folder: folder)
        #expect(result.status == 3)
        #expect(result.stderr.contains("the paged search at \(server.url) does not advance"))
        #expect(result.stderr.contains("page 2 with the same 2 entries as page 1"))
        #expect(elapsed < .seconds(10))
    }

    /// 2. A 2 GiB BER length in answer to StartTLS, then 256 MiB of data: before, peak RSS
    /// 293 MiB and "the DC's certificate is not trusted".
    @Test(.timeLimit(.minutes(1)))
    func hugeMessageBeforeStartTLS() throws {
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try FakeLDAPServer(["--scenario", "huge-reply", "--huge-at", "extended", "--flood-mib", "256"])
        let (result, _) = try collect([server.url], ["--starttls", "--base-dn", "DC=fake,DC=test"], folder: folder,
                                      measureMemory: true)
        #expect(result.status == 3)
        #expect(result.stderr.contains("\(server.url): the server sent a message of 2147483647 bytes, over the 16 MiB limit: is this an LDAP server?"))
        #expect(!result.stderr.contains("certificate"))
        let peak = try #require(result.peakKiB)
        #expect(peak < 100 * 1024, "peak RSS \(peak) KiB")
    }

    /// 3. `--timeout` must be positive: 0 meant no limit, and a silent DC hung the run.
    @Test(arguments: ["0s", "0", "-5s"])
    func timeoutMustBePositive(value: String) throws {
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (result, _) = try collect(["ldaps://127.0.0.1:1"], ["--timeout=\(value)"], folder: folder)
        #expect(result.status == 2)
        #expect(result.stderr.contains("--timeout \(value): write a positive duration"))
    }

    /// 3. A server that accepts and never answers the TLS handshake: within 1.3 times
    /// `--timeout` (before: twice it).
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func silentServerWithinTheTimeout(startTLS: Bool) throws {
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let listener = try SilentListener()
        let url = "\(startTLS ? "ldap" : "ldaps")://127.0.0.1:\(listener.port)"
        let (result, elapsed) = try collect([url], ["--timeout", "3s", "--base-dn", "DC=fake,DC=test"] + (startTLS ? ["--starttls"] : []),
                                            folder: folder)
        #expect(result.status == 3)
        #expect(result.stderr.contains("\(url) did not answer in time"))
        #expect(elapsed < .seconds(3) * 1.3, "took \(elapsed)")
    }

    /// 5. The connection closed after 250 entries: before, "cannot reach ... check firewall".
    @Test func connectionLostMidSearch() throws {
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try FakeLDAPServer(["--scenario", "close-mid-search", "--entries", "1000", "--close-after", "250"])
        let (result, _) = try collect([server.url], fake, folder: folder)
        #expect(result.status == 3)
        #expect(result.stderr.contains("the connection to \(server.url) was lost during search after 250 users had been read"))
        #expect(!result.stderr.contains("cannot reach"))
    }

    /// 5. The same over LDAPS with a TCP reset: closing the TLS session writes to the dead
    /// socket (SIGPIPE, ignored by phs-check): an error, exit 3, not death by signal.
    @Test func connectionResetOverLDAPS() throws {
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tls = try LDAPFault.selfSigned(in: folder, name: "fake", commonName: "fake.ldap.test")
        let server = try FakeLDAPServer(["--scenario", "close-mid-search", "--entries", "1000", "--close-after", "250",
                                         "--rst", "--ldaps", "--tls-cert", tls.certificate, "--tls-key", tls.key])
        let (result, _) = try collect([server.ldapsURL], ["--insecure-skip-tls-verify", "--base-dn", "DC=fake,DC=test",
                                                          "--page-size", "100"], folder: folder)
        #expect(result.status == 3, "status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("the connection to \(server.ldapsURL) was lost during search after"))
    }

    /// 6. The server's time limit: before, "did not answer in time ... raise --timeout".
    @Test func serverTimeLimit() throws {
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try FakeLDAPServer(["--scenario", "result-code", "--entries", "30", "--code", "3",
                                         "--diagnostic", "time limit of the fake server"])
        let (result, _) = try collect([server.url], fake, folder: folder)
        #expect(result.status == 3)
        #expect(result.stderr.contains("\(server.url) stopped the search at its own time limit after 30 users (result 3). The server said: time limit of the fake server."))
        #expect(result.stderr.contains("--timeout"))
        #expect(result.stderr.contains("--page-size"))
    }

    /// 7. Several URLs, none answers: each is named with what went wrong there.
    @Test(.timeLimit(.minutes(1)))
    func everyURLIsNamed() throws {
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = try FakeLDAPServer(["--scenario", "ok"])
        let silent = try SilentListener()
        let unreachable = "ldaps://127.0.0.1:1", notTLS = "ldaps://127.0.0.1:\(plain.port)", mute = "ldaps://127.0.0.1:\(silent.port)"
        let (result, _) = try collect([unreachable, notTLS, mute], ["--timeout", "2s", "--base-dn", "DC=fake,DC=test"], folder: folder)
        #expect(result.status == 3)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains("phs-check: error: none of the 3 --ldap-url answered:"))
        #expect(lines.contains { $0.hasPrefix("  - cannot reach \(unreachable) ") })
        #expect(lines.contains { $0.hasPrefix("  - \(notTLS) does not speak TLS on that port") })
        #expect(lines.contains { $0.hasPrefix("  - \(mute) did not answer in time") })
    }
}

@Suite("LDAP faults on the command line: private slapd", .enabled(if: PrivateSlapd.available))
struct LDAPFaultCLISlapdTests {
    /// 6. slapd's size limit for paged searches (size.prtotal=50): before, "use a paged
    /// search" — it was one.
    @Test func sizeLimit() throws {
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let slapd = try PrivateSlapd(users: 200)
        let (result, _) = try collect([slapd.url], ["--allow-cleartext-bind", "--base-dn", PrivateSlapd.baseDN,
                                                    "--search-base", PrivateSlapd.peopleDN, "--page-size", "20"],
                                      folder: folder, bindDN: PrivateSlapd.limitedDN, password: PrivateSlapd.readerPassword)
        #expect(result.status == 3)
        #expect(result.stderr.contains("\(slapd.url) stopped the search at its own size limit after 50 users (result 4)"))
        #expect(result.stderr.contains("size.prtotal"))
        #expect(!result.stderr.contains("use a paged search"))
        #expect(!result.stderr.contains(PrivateSlapd.readerPassword))
    }

    /// 5. slapd killed while collect streams: the message counts the users read.
    @Test(.timeLimit(.minutes(1)))
    func serverKilledMidSearch() throws {
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let slapd = try PrivateSlapd(users: 20000)
        // Kill it once collect has connected and started writing the snapshot (its temporary
        // file beside --output is no longer empty).
        let watched = folder.path
        let killer = Thread {
            let deadline = Date().addingTimeInterval(20)
            search: while Date() < deadline {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: watched)) ?? [] where name.hasPrefix(".users.jsonl.tmp-") {
                    let size = (try? FileManager.default.attributesOfItem(atPath: watched + "/" + name)[.size] as? Int) ?? 0
                    if size > 0 { break search }
                }
                usleep(2_000)
            }
            slapd.kill()
        }
        killer.start()
        let (result, _) = try collect([slapd.url], ["--allow-cleartext-bind", "--base-dn", PrivateSlapd.baseDN,
                                                    "--search-base", PrivateSlapd.peopleDN, "--page-size", "500"],
                                      folder: folder, bindDN: PrivateSlapd.rootDN, password: PrivateSlapd.rootPassword)
        #expect(result.status == 3)
        #expect(result.stderr.contains("the connection to \(slapd.url) was lost during search"))
        #expect(!result.stderr.contains("cannot reach"))
    }
}

@Suite("LDAP faults on the command line: TLS against Samba AD", .enabled(if: TestDirectory.available))
struct LDAPFaultCLITLSTests {
    private func run(_ directory: TestDirectory, _ url: String, caFile: String, folder: URL) throws -> CommandResult {
        try collect([url], ["--ca-file", caFile], folder: folder, bindDN: directory.bindDN, password: directory.password).0
    }

    /// 4. Three faults that were one sentence ("not trusted, or issued for another name").
    @Test func unknownCA() throws {
        let directory = try TestDirectory.require()
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let other = try LDAPFault.selfSigned(in: folder, name: "other-ca", commonName: "Another Test CA")
        let result = try run(directory, directory.url, caFile: other.certificate, folder: folder)
        #expect(result.status == 3)
        #expect(result.stderr.contains("the TLS handshake with \(directory.url) failed: the DC's certificate names it, but is not signed by a CA this machine trusts (issued by O=Samba Administration, OU=Samba - temporary autogenerated CA certificate, CN=DC1.phs.test). Pass the certificate of the CA that issued it (PEM) with --ca-file."))
        #expect(!result.stderr.contains(directory.password))
    }

    @Test func hostNameMismatch() throws {
        let directory = try TestDirectory.require()
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try run(directory, "ldaps://127.0.0.1", caFile: directory.caFile, folder: folder)
        #expect(result.status == 3)
        #expect(result.stderr.contains("the TLS handshake with ldaps://127.0.0.1 failed: the DC's certificate is for DC1.phs.test, not for 127.0.0.1. Connect by one of those names in --ldap-url (e.g. --ldap-url ldaps://DC1.phs.test)"))
        #expect(!result.stderr.contains(directory.password))
    }

    @Test func plainLDAPPort() throws {
        let directory = try TestDirectory.require()
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = try #require(URL(string: directory.slapdURL)?.port)
        let url = "ldaps://127.0.0.1:\(port)"
        let result = try run(directory, url, caFile: directory.caFile, folder: folder)
        #expect(result.status == 3)
        #expect(result.stderr.contains("\(url) does not speak TLS on that port"))
        #expect(result.stderr.contains("--starttls"))
        #expect(!result.stderr.contains(directory.password))
    }
}
