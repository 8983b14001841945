import Foundation
import LDAPClient
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

// Faults of the directory connection, each reproduced on real parts: the scripted server
// (scripts/fake-ldap.py) for protocol misbehaviour real servers will not produce, a slapd of the
// test's own for a server that dies or limits a search, the Samba AD DC of the test directory
// for TLS. The phs-check command line on the same faults: LDAPFaultCLITests.swift.

private let logger = Logger(label: "LDAPFaultTests")

private func anonymous(_ url: String, timeout: Duration = .seconds(10), maxMessageSize: Int? = nil) -> LDAPConfiguration {
    var configuration = LDAPConfiguration(urls: [url], networkTimeout: timeout, operationTimeout: timeout)
    if let maxMessageSize { configuration.maxMessageSize = maxMessageSize }
    return configuration
}

private func bound(_ url: String) -> LDAPConfiguration {
    LDAPConfiguration(urls: [url], networkTimeout: .seconds(10), operationTimeout: .seconds(10),
                      bind: .simple(dn: "CN=reader,DC=fake,DC=test", password: LDAPSecret("not-a-secret")))
}

/// Searches the whole fake directory and returns the error, the entries seen and the time.
private func searchError(_ connection: LDAPConnection, base: String = "DC=fake,DC=test", pageSize: Int = 100,
                         onEntry: (Int) -> Void = { _ in }) -> (error: LDAPError?, entries: Int, elapsed: Duration) {
    var entries = 0
    let start = ContinuousClock.now
    do {
        try connection.search(base: base, scope: .subtree, filter: "(objectClass=*)", attributes: ["cn"],
                              pageSize: pageSize) { _ in
            entries += 1
            onEntry(entries)
        }
        return (nil, entries, ContinuousClock.now - start)
    } catch let error as LDAPError {
        return (error, entries, ContinuousClock.now - start)
    } catch {
        Issue.record("not an LDAPError: \(error)")
        return (nil, entries, ContinuousClock.now - start)
    }
}

// MARK: - The scripted server

@Suite("LDAP faults against the scripted server")
struct LDAPFaultScriptedServerTests {
    // 1. A paged search that never ends.

    /// The server ignores the cookie: every page is the first one again, with the cookie it
    /// was sent. Before: an endless loop that no timeout stopped (each page is quick).
    @Test(.timeLimit(.minutes(1)))
    func samePageForeverIsRefused() throws {
        let server = try FakeLDAPServer(["--scenario", "same-cookie", "--page-entries", "2"])
        let connection = try LDAPConnection.connect(bound(server.url), logger: logger)
        let (error, entries, elapsed) = searchError(connection)
        let failure = try #require(error)
        #expect(failure.kind == .pagedSearchStalled)
        #expect(failure.url == server.url)
        #expect(failure.message.contains("page 2 with the same 2 entries as page 1 and the cookie it was sent"))
        #expect(failure.entriesRead == 4)
        #expect(entries == 4)
        #expect(elapsed < .seconds(5))
    }

    /// The server goes round three pages, each with a new cookie: a cycle the previous page
    /// alone would not show. Refused at the first page handed out again.
    @Test(.timeLimit(.minutes(1)))
    func pagesInACycleAreRefused() throws {
        let server = try FakeLDAPServer(["--scenario", "cycle", "--page-entries", "2"])
        let connection = try LDAPConnection.connect(bound(server.url), logger: logger)
        let (error, entries, elapsed) = searchError(connection)
        let failure = try #require(error)
        #expect(failure.kind == .pagedSearchStalled)
        #expect(failure.message.contains("page 4 with the same 2 entries as page 1: it hands out pages it handed out before, in a cycle"), "\(failure.message)")
        #expect(failure.entriesRead == 8)
        #expect(entries == 8)
        #expect(elapsed < .seconds(5))
    }

    /// The same cookie on every page is no fault when the pages advance: Samba does that
    /// (LDAPClientTests.pagedSearchStreamsMoreThanAThousandEntries reads it).
    @Test func constantCookieWithAdvancingPages() throws {
        let server = try FakeLDAPServer(["--scenario", "constant-cookie", "--entries", "250"])
        let connection = try LDAPConnection.connect(bound(server.url), logger: logger)
        let (error, entries, _) = searchError(connection, pageSize: 100)
        #expect(error == nil)
        #expect(entries == 250)
    }

    /// Pages without an entry, each with a new cookie: more than five in a row end the search.
    @Test(.timeLimit(.minutes(1)))
    func emptyPagesForeverAreRefused() throws {
        let server = try FakeLDAPServer(["--scenario", "empty-pages"])
        let connection = try LDAPConnection.connect(bound(server.url), logger: logger)
        let (error, entries, elapsed) = searchError(connection)
        let failure = try #require(error)
        #expect(failure.kind == .pagedSearchStalled)
        #expect(failure.message.contains("6 pages in a row without an entry"))
        #expect(entries == 0)
        #expect(elapsed < .seconds(5))
    }

    /// The same server with proper cookies: every entry, in pages.
    @Test func properPagingReadsEverything() throws {
        let server = try FakeLDAPServer(["--scenario", "ok", "--entries", "250"])
        let connection = try LDAPConnection.connect(bound(server.url), logger: logger)
        let (error, entries, _) = searchError(connection, pageSize: 100)
        #expect(error == nil)
        #expect(entries == 250)
    }

    // 2. A huge BER length.

    /// `0x30 0x84 0x7F 0xFF 0xFF 0xFF` (a 2 GiB message) as the answer to StartTLS, to the
    /// bind, or to the search: before, libldap allocated it and the error blamed the
    /// certificate (StartTLS) or an unreachable server.
    @Test(.timeLimit(.minutes(1)), arguments: ["extended", "bind", "search"])
    func hugeMessageIsRefusedBeforeItIsRead(at request: String) throws {
        let server = try FakeLDAPServer(["--scenario", "huge-reply", "--huge-at", request, "--flood-mib", "64"])
        var configuration = bound(server.url)
        configuration.startTLS = request == "extended"
        let error: LDAPError
        if request == "search" {
            let connection = try LDAPConnection.connect(configuration, logger: logger)
            error = try #require(searchError(connection).error)
            // The connection is broken: a later search says so again instead of reconnecting.
            #expect(searchError(connection).error?.kind == .messageTooLarge)
        } else {
            error = try #require(throws: LDAPError.self) { try LDAPConnection.connect(configuration, logger: logger) }
        }
        #expect(error.kind == .messageTooLarge)
        #expect(error.message.contains("2147483647 bytes"))
        #expect(error.message.contains("16 MiB"))
        #expect(error.hint?.contains("LDAP server") == true)
        #expect(error.tlsProblem == nil)
        #expect(error.operation == ["extended": "start TLS", "bind": "bind", "search": "search"][request])
    }

    /// The limit is liblber's (LBER_SB_OPT_SET_MAX_INCOMING), not a check of the length
    /// alone: an honest entry over a smaller limit is refused the same way, after the entries
    /// that fit; under the default limit it is read.
    @Test func messageLimitAppliesToEveryMessage() throws {
        let server = try FakeLDAPServer(["--scenario", "ok", "--entries", "3", "--big-value", "100000"])
        var configuration = bound(server.url)
        configuration.maxMessageSize = 64 << 10
        let small = try LDAPConnection.connect(configuration, logger: logger)
        let (error, entries, _) = searchError(small)
        let failure = try #require(error)
        #expect(failure.kind == .messageTooLarge)
        #expect(failure.message.contains("64 KiB"))
        #expect(failure.entriesRead == 0)
        #expect(entries == 0)

        let normal = try LDAPConnection.connect(bound(server.url), logger: logger)
        #expect(searchError(normal).entries == 3)
    }

    // 3. A server that accepts and never answers.

    /// Connecting, StartTLS and the TLS handshake share one timeout: before, the handshake
    /// watchdog fired after one to two periods (6 s for 3 s).
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func silentServerFailsWithinTheTimeout(startTLS: Bool) throws {
        let listener = try SilentListener()
        let timeout = Duration.seconds(2)
        var configuration = anonymous("\(startTLS ? "ldap" : "ldaps")://127.0.0.1:\(listener.port)", timeout: timeout)
        configuration.startTLS = startTLS
        let (error, elapsed) = LDAPFault.time {
            #expect(throws: LDAPError.self) { try LDAPConnection.connect(configuration, logger: logger) }
        }
        #expect(error?.kind == .timeout)
        #expect(elapsed >= timeout * 0.9)
        #expect(elapsed < timeout * 1.3, "took \(elapsed) for a timeout of \(timeout)")
    }

    // 5. The connection lost during a search.

    /// The server closes the connection after 250 entries (page size 100): before, "cannot
    /// reach the server", as if it had never answered.
    @Test func connectionClosedMidSearch() throws {
        let server = try FakeLDAPServer(["--scenario", "close-mid-search", "--entries", "1000", "--close-after", "250"])
        let connection = try LDAPConnection.connect(bound(server.url), logger: logger)
        let (error, entries, _) = searchError(connection)
        let failure = try #require(error)
        #expect(failure.kind == .connectionLost)
        #expect(failure.entriesRead == 250)
        #expect(entries == 250)
        #expect(failure.message.contains("after 250 entries"))
        #expect(failure.operation == "search")
        // libldap would reconnect, unbound, for the next request: the connection refuses.
        let again = try #require(searchError(connection).error)
        #expect(again.kind == .connectionLost)
    }

    /// The server resets the connection between two pages: the request for the next page
    /// cannot be sent (ldap_search_ext fails, ECONNRESET), after the first page's 100 entries.
    @Test func connectionResetBetweenPages() throws {
        LDAPFault.ignoreSIGPIPE()
        let server = try FakeLDAPServer(["--scenario", "close-between-pages", "--entries", "1000", "--close-delay", "0.1"])
        let connection = try LDAPConnection.connect(bound(server.url), logger: logger)
        var entries = 0
        let error = try #require(throws: LDAPError.self) {
            try connection.search(base: "DC=fake,DC=test", scope: .subtree, filter: "(objectClass=*)", attributes: ["cn"],
                                  pageSize: 100, onPage: { _ in usleep(500_000) }) { _ in entries += 1 }
        }
        #expect(error.kind == .connectionLost)
        #expect(error.entriesRead == 100)
        #expect(entries == 100)
    }

    /// Over LDAPS with a TCP reset: closing the lost TLS session writes a close_notify to the
    /// dead socket (EPIPE). With SIGPIPE ignored, as phs-check does, that is the same error
    /// and not the end of the process.
    @Test func connectionResetOverTLS() throws {
        LDAPFault.ignoreSIGPIPE()
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tls = try LDAPFault.selfSigned(in: folder, name: "fake", commonName: "fake.ldap.test")
        let server = try FakeLDAPServer(["--scenario", "close-mid-search", "--entries", "1000", "--close-after", "250",
                                         "--rst", "--ldaps", "--tls-cert", tls.certificate, "--tls-key", tls.key])
        var configuration = bound(server.ldapsURL)
        configuration.skipTLSVerify = true
        var connection: LDAPConnection? = try LDAPConnection.connect(configuration, logger: logger)
        let (error, entries, _) = searchError(connection!)
        let failure = try #require(error)
        #expect(failure.kind == .connectionLost)
        #expect(failure.entriesRead == entries)
        #expect(entries > 0 && entries <= 250)
        connection = nil // ldap_unbind_ext_s: GnuTLS's close_notify meets the reset socket
        #expect(connection == nil)
    }

    // 6. The server's limits (time; size and administrative against slapd below).

    @Test func serverTimeLimit() throws {
        let server = try FakeLDAPServer(["--scenario", "result-code", "--entries", "30", "--code", "3",
                                         "--diagnostic", "time limit of the fake server"])
        let connection = try LDAPConnection.connect(bound(server.url), logger: logger)
        let failure = try #require(searchError(connection).error)
        #expect(failure.kind == .serverLimitExceeded)
        #expect(failure.code == .timeLimitExceeded)
        #expect(failure.entriesRead == 30)
        #expect(failure.message.contains("time limit ended the search after 30 entries"))
        #expect(failure.diagnosticMessage == "time limit of the fake server")
        #expect(failure.hint?.contains("timelimit") == true)
    }

    // 7. Several URLs, none answers.

    @Test(.timeLimit(.minutes(1)))
    func everyURLIsNamedWithItsFailure() throws {
        let plain = try FakeLDAPServer(["--scenario", "ok"])
        let silent = try SilentListener()
        let urls = ["ldap://127.0.0.1:1", "ldaps://127.0.0.1:\(plain.port)", "ldaps://127.0.0.1:\(silent.port)"]
        var configuration = anonymous(urls[0], timeout: .seconds(2))
        configuration.urls = urls
        let error = try #require(throws: LDAPError.self) { try LDAPConnection.connect(configuration, logger: logger) }
        try #require(error.attempts.map(\.url) == urls)
        #expect(error.attempts.map(\.kind) == [.serverUnreachable, .tlsHandshakeFailed, .timeout])
        #expect(error.attempts[1].tlsProblem == .notTLS)
        // The headline is the TLS failure (the actionable one); the description names every URL.
        #expect(error.kind == .tlsHandshakeFailed)
        for url in urls { #expect(error.description.contains(url)) }
    }
}

// MARK: - A slapd of the test's own

@Suite("LDAP faults against a private slapd", .enabled(if: PrivateSlapd.available))
struct LDAPFaultPrivateSlapdTests {
    private func reader(_ slapd: PrivateSlapd, _ dn: String) -> LDAPConfiguration {
        LDAPConfiguration(urls: [slapd.url], networkTimeout: .seconds(10), operationTimeout: .seconds(10),
                          bind: .simple(dn: dn, password: LDAPSecret(PrivateSlapd.readerPassword)))
    }

    /// 5. slapd killed (SIGKILL, by the pid of its own pid file) while the search streams.
    @Test(.timeLimit(.minutes(1)))
    func serverKilledMidSearch() throws {
        let slapd = try PrivateSlapd(users: 3000)
        let root = try LDAPConnection.connect(
            LDAPConfiguration(urls: [slapd.url], networkTimeout: .seconds(10), operationTimeout: .seconds(10),
                              bind: .simple(dn: PrivateSlapd.rootDN, password: LDAPSecret(PrivateSlapd.rootPassword))),
            logger: logger)
        let (error, entries, _) = searchError(root, base: PrivateSlapd.peopleDN, pageSize: 500) { count in
            if count == 700 { slapd.kill() }
        }
        let failure = try #require(error)
        #expect(failure.kind == .connectionLost)
        #expect(failure.entriesRead == entries)
        #expect(entries >= 700 && entries < 3000)
        #expect(failure.message.contains("after \(entries) entries"))
    }

    /// 6. slapd's size limit for paged searches (size.prtotal=50): 20 + 20 + 10 entries, then
    /// sizeLimitExceeded. Before: "use a paged search" — it was one.
    @Test func sizeLimitOfAPagedSearch() throws {
        let slapd = try PrivateSlapd(users: 200)
        let connection = try LDAPConnection.connect(reader(slapd, PrivateSlapd.limitedDN), logger: logger)
        let failure = try #require(searchError(connection, base: PrivateSlapd.peopleDN, pageSize: 20).error)
        #expect(failure.kind == .serverLimitExceeded)
        #expect(failure.code == .sizeLimitExceeded)
        #expect(failure.entriesRead == 50)
        #expect(failure.hint?.contains("size.prtotal") == true)
        #expect(failure.hint?.contains("MaxResultSetSize") == true)
    }

    /// 6. slapd's administrative limits: a page size over size.prtotal ("illegal pagedResults
    /// page size"), and more candidates than size.unchecked for an unindexed filter.
    @Test(arguments: [(PrivateSlapd.limitedDN, "(objectClass=*)", 100), (PrivateSlapd.uncheckedDN, "(sAMAccountName=*)", 20)])
    func administrativeLimit(dn: String, filter: String, pageSize: Int) throws {
        let slapd = try PrivateSlapd(users: 200)
        let connection = try LDAPConnection.connect(reader(slapd, dn), logger: logger)
        let error = try #require(throws: LDAPError.self) {
            try connection.search(base: PrivateSlapd.peopleDN, scope: .subtree, filter: filter, attributes: ["cn"],
                                  pageSize: pageSize) { _ in }
        }
        #expect(error.kind == .serverLimitExceeded)
        #expect(error.code == .adminLimitExceeded)
        #expect(error.entriesRead == 0)
        #expect(error.message.contains("administrative limit"))
    }
}

// MARK: - TLS against the Samba AD DC

@Suite("LDAP faults: TLS against Samba AD", .enabled(if: TestDirectory.available))
struct LDAPFaultTLSTests {
    private func admin(_ directory: TestDirectory, _ url: String, caFile: String?, startTLS: Bool = false) -> LDAPConfiguration {
        LDAPConfiguration(urls: [url], startTLS: startTLS, caFile: caFile, networkTimeout: .seconds(10),
                          bind: .simple(dn: directory.bindDN, password: LDAPSecret(directory.password)))
    }

    /// 4. The DC's certificate names it, but --ca-file holds another CA (made here with
    /// openssl): the CA is the problem, and the issuer is named.
    @Test(arguments: [false, true])
    func unknownCA(startTLS: Bool) throws {
        let directory = try TestDirectory.require()
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let other = try LDAPFault.selfSigned(in: folder, name: "other-ca", commonName: "Another Test CA")
        let error = try #require(throws: LDAPError.self) {
            try LDAPConnection.connect(admin(directory, startTLS ? directory.ldapURL : directory.url,
                                             caFile: other.certificate, startTLS: startTLS), logger: logger)
        }
        #expect(error.kind == .tlsHandshakeFailed)
        guard case .untrustedCertificate(let issuer) = error.tlsProblem else {
            Issue.record("expected an untrusted certificate, got \(String(describing: error.tlsProblem))")
            return
        }
        #expect(issuer?.contains("CN=DC1.phs.test") == true)
        #expect(error.hint?.contains("CA") == true)
        #expect(!error.description.contains(directory.password))
    }

    /// 4. The right CA, but the URL names the DC by address: the certificate's names are listed.
    @Test(arguments: [false, true])
    func hostNameMismatch(startTLS: Bool) throws {
        let directory = try TestDirectory.require()
        let url = startTLS ? "ldap://127.0.0.1" : "ldaps://127.0.0.1"
        let error = try #require(throws: LDAPError.self) {
            try LDAPConnection.connect(admin(directory, url, caFile: directory.caFile, startTLS: startTLS), logger: logger)
        }
        #expect(error.kind == .tlsHandshakeFailed)
        #expect(error.tlsProblem == .nameMismatch(host: "127.0.0.1", names: ["DC1.phs.test"]))
        #expect(error.hint?.contains("DC1.phs.test") == true)
    }

    /// 4. ldaps:// to slapd's plain LDAP port: not TLS at all.
    @Test func plainLDAPOnTheLDAPSURL() throws {
        let directory = try TestDirectory.require()
        let port = try #require(URL(string: directory.slapdURL)?.port)
        let error = try #require(throws: LDAPError.self) {
            try LDAPConnection.connect(admin(directory, "ldaps://127.0.0.1:\(port)", caFile: directory.caFile), logger: logger)
        }
        #expect(error.kind == .tlsHandshakeFailed)
        #expect(error.tlsProblem == .notTLS)
        #expect(error.hint?.contains("StartTLS") == true)
    }

    /// The certificate the probe read is the DC's: the same names as the test CA's leaf.
    @Test func peerCertificateOfAVerifiedConnection() throws {
        let directory = try TestDirectory.require()
        let connection = try LDAPConnection.connect(admin(directory, directory.url, caFile: directory.caFile), logger: logger)
        let certificate = try #require(connection.peerCertificate.flatMap(TLSCertificate.init(der:)))
        #expect(certificate.matches(host: "dc1.phs.test"))
        #expect(!certificate.matches(host: "127.0.0.1"))
        #expect(certificate.validity?.contains(Date()) == true)
    }
}

// MARK: - Reading certificates

@Suite("TLS certificate names")
struct TLSCertificateTests {
    @Test func subjectAltNamesAndCommonName() throws {
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let made = try LDAPFault.selfSigned(
            in: folder, name: "san", commonName: "dc1.corp.example",
            altNames: ["DNS:dc1.corp.example", "DNS:*.dc.corp.example", "IP:192.0.2.10", "IP:2001:db8::1"], days: 30)
        let certificate = try #require(TLSCertificate(der: try LDAPFault.der(ofPEM: made.certificate)))
        #expect(certificate.subjectCommonNames == ["dc1.corp.example"])
        #expect(certificate.dnsNames == ["dc1.corp.example", "*.dc.corp.example"])
        #expect(certificate.ipAddresses == ["192.0.2.10", "2001:db8:0:0:0:0:0:1"])
        #expect(certificate.issuer == "O=phs-check tests, CN=dc1.corp.example")
        #expect(certificate.names == ["dc1.corp.example", "*.dc.corp.example", "192.0.2.10", "2001:db8:0:0:0:0:0:1"])
        let validity = try #require(certificate.validity)
        #expect(validity.contains(Date()))
        #expect(validity.upperBound.timeIntervalSince(validity.lowerBound) == 30 * 86_400)

        #expect(certificate.matches(host: "DC1.corp.example"))
        #expect(certificate.matches(host: "dc2.dc.corp.example"))
        #expect(!certificate.matches(host: "a.b.dc.corp.example")) // one label only
        #expect(certificate.matches(host: "192.0.2.10"))
        #expect(certificate.matches(host: "2001:db8:0::1"))
        #expect(!certificate.matches(host: "192.0.2.11"))
        #expect(!certificate.matches(host: "corp.example"))
    }

    @Test func commonNameOnly() throws {
        let folder = try LDAPFault.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let made = try LDAPFault.selfSigned(in: folder, name: "cn", commonName: "*.corp.example")
        let certificate = try #require(TLSCertificate(der: try LDAPFault.der(ofPEM: made.certificate)))
        #expect(certificate.dnsNames.isEmpty)
        #expect(certificate.names == ["*.corp.example"])
        #expect(certificate.matches(host: "dc1.corp.example"))
        #expect(!certificate.matches(host: "corp.example"))
    }

    @Test func notACertificate() {
        #expect(TLSCertificate(der: Data()) == nil)
        #expect(TLSCertificate(der: Data([0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF])) == nil)
        #expect(TLSCertificate(der: Data("-----BEGIN CERTIFICATE-----".utf8)) == nil)
    }
}
