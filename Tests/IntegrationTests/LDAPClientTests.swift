import Foundation
import LDAPClient
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Without a directory

@Suite("LDAPClient without a directory")
struct LDAPClientValueTests {
    @Test(arguments: [
        ("alice", "alice"),
        ("a*b", "a\\2ab"),
        ("(x)", "\\28x\\29"),
        ("back\\slash", "back\\5cslash"),
        ("nul\u{0}byte", "nul\\00byte"),
        ("*)(objectClass=*", "\\2a\\29\\28objectClass=\\2a"),
        ("Zoë Müller", "Zoë Müller"),
    ])
    func filterEscape(input: String, expected: String) {
        #expect(LDAPFilter.escape(input) == expected)
    }

    @Test func secretNeverPrints() {
        let secret = LDAPSecret("hunter2-very-secret")
        let bind = LDAPBind.simple(dn: "CN=x", password: secret)
        let configuration = LDAPConfiguration(urls: ["ldaps://dc"], bind: bind)
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in [
            "\(secret)", String(reflecting: secret), "\(bind)", String(reflecting: bind),
            "\(configuration)", String(reflecting: configuration), dumped,
        ] {
            #expect(!text.contains("hunter2"), "\(text)")
        }
        #expect("\(secret)" == "<redacted>")
    }

    @Test func resultCodeNames() {
        #expect(LDAPResultCode.invalidCredentials.rawValue == 49)
        #expect(LDAPResultCode.strongAuthRequired.rawValue == 8)
        #expect(LDAPResultCode.serverDown.rawValue == -1)
        #expect(LDAPResultCode.invalidCredentials.description == "invalidCredentials (49)")
        #expect(LDAPResultCode(rawValue: 4711).description == "LDAP result 4711")
    }

    @Test func entryLookupIsCaseInsensitive() {
        let entry = LDAPEntry(dn: "CN=a", attributes: ["sAMAccountName": [Data("a".utf8)], "objectGUID": [Data([0, 1, 0])]])
        #expect(entry.string("samaccountname") == "a")
        #expect(entry.first("OBJECTGUID") == Data([0, 1, 0]))
        #expect(entry.values("missing").isEmpty)
    }

    @Test func noURLs() {
        #expect(throws: LDAPError.self) {
            try LDAPConnection.connect(LDAPConfiguration(urls: []), logger: Logger(label: "test"))
        }
    }

    /// RFC 4513: a DN with an empty password is an "unauthenticated bind" that servers answer
    /// with success. It is refused before anything is sent (so no server is needed).
    @Test func emptyPasswordIsNotAnAnonymousBind() throws {
        let error = try #require(throws: LDAPError.self) {
            try LDAPConnection.connect(
                LDAPConfiguration(urls: ["ldaps://127.0.0.1:1"], bind: .simple(dn: "CN=x", password: LDAPSecret(""))),
                logger: Logger(label: "test"))
        }
        #expect(error.kind == .invalidArgument)
        #expect(error.code == .paramError)
    }

    @Test func notAnLDAPURL() throws {
        let error = try #require(throws: LDAPError.self) {
            try LDAPConnection.connect(LDAPConfiguration(urls: ["http://example.com"]), logger: Logger(label: "test"))
        }
        #expect(error.kind == .invalidArgument)
    }

    /// A server that accepts TCP connections but never speaks TLS (a hung DC, a load balancer
    /// without a backend): libldap with GnuTLS would spin in the handshake forever.
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func silentServerTimesOut(startTLS: Bool) throws {
        let listener = try SilentListener()
        let start = ContinuousClock.now
        let error = try #require(throws: LDAPError.self) {
            try LDAPConnection.connect(
                LDAPConfiguration(urls: ["\(startTLS ? "ldap" : "ldaps")://127.0.0.1:\(listener.port)"], startTLS: startTLS,
                                  networkTimeout: .seconds(1), operationTimeout: .seconds(2)),
                logger: Logger(label: "test"))
        }
        #expect(error.kind == .timeout)
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func unreachablePort() throws {
        let error = try #require(throws: LDAPError.self) {
            try LDAPConnection.connect(
                LDAPConfiguration(urls: ["ldap://127.0.0.1:1"], networkTimeout: .seconds(3)), logger: Logger(label: "test"))
        }
        #expect(error.code == .serverDown)
        #expect(error.kind == .serverUnreachable)
        #expect(error.url == "ldap://127.0.0.1:1")
        #expect(error.description.contains("ldap://127.0.0.1:1"))
    }
}

// MARK: - Against the Samba AD DC of scripts/test-directory.sh

@Suite("LDAPClient against Samba AD", .enabled(if: TestDirectory.available))
struct LDAPClientTests {
    let logger = Logger(label: "LDAPClientTests")

    private func adminBind(_ directory: TestDirectory) -> LDAPBind {
        .simple(dn: directory.bindDN, password: LDAPSecret(directory.password))
    }

    /// LDAPS with the test CA, bound as the administrator: what most tests here connect with.
    private func adminLDAPS(_ directory: TestDirectory) -> LDAPConfiguration {
        LDAPConfiguration(urls: [directory.url], caFile: directory.caFile, bind: adminBind(directory))
    }

    /// The DC answers a search of the domain only after a real bind (anonymous gets
    /// operationsError "Operation unavailable without authentication"), so finding the
    /// Administrator account proves the bind.
    private func expectAuthenticated(_ connection: LDAPConnection, _ directory: TestDirectory) throws {
        var names: [String] = []
        try connection.search(
            base: directory.baseDN, scope: .subtree, filter: "(sAMAccountName=Administrator)",
            attributes: ["sAMAccountName"], pageSize: 10
        ) { entry in names.append(entry.string("sAMAccountName") ?? "") }
        #expect(names == ["Administrator"])
    }

    @Test func ldapsSimpleBind() throws {
        let directory = try TestDirectory.require()
        let connection = try LDAPConnection.connect(adminLDAPS(directory), logger: logger)
        #expect(connection.url == directory.url)
        #expect(connection.isTLS)
        #expect(connection.securityStrengthFactor == 0)
        try expectAuthenticated(connection, directory)
    }

    @Test func startTLSSimpleBind() throws {
        let directory = try TestDirectory.require()
        let connection = try LDAPConnection.connect(
            LDAPConfiguration(urls: [directory.ldapURL], startTLS: true, caFile: directory.caFile, bind: adminBind(directory)),
            logger: logger)
        #expect(connection.isTLS)
        try expectAuthenticated(connection, directory)
    }

    @Test func gssapiBindIsSealed() throws {
        let directory = try TestDirectory.require()
        directory.useKerberosTicketCache()
        let connection = try LDAPConnection.connect(
            LDAPConfiguration(urls: [directory.ldapURL], bind: .gssapi), logger: logger)
        #expect(!connection.isTLS)
        #expect(connection.securityStrengthFactor >= 56)
        try expectAuthenticated(connection, directory)
        // A sealed session may read what a plain one may not.
        let root = try #require(try connection.read(directory.baseDN, attributes: ["objectSid"]))
        #expect(root.first("objectSid")?.count == 24)
    }

    /// Samba's default ("ldap server require strong auth = yes") wants a SASL layer and
    /// forbids one over TLS, so GSSAPI over LDAPS is refused there with a hint to use ldap://;
    /// a DC that accepts SASL over TLS (AD, or Samba with allow_sasl_over_tls) binds.
    @Test func gssapiOverLDAPS() throws {
        let directory = try TestDirectory.require()
        directory.useKerberosTicketCache()
        do {
            let connection = try LDAPConnection.connect(
                LDAPConfiguration(urls: [directory.url], caFile: directory.caFile, bind: .gssapi), logger: logger)
            #expect(connection.isTLS)
            try expectAuthenticated(connection, directory)
        } catch let error as LDAPError {
            #expect(error.code == .strongAuthRequired)
            #expect(error.kind == .bindRefused)
            #expect(error.diagnosticMessage?.contains("Sign or Seal") == true)
            #expect(error.hint?.contains("ldap://") == true)
        }
    }

    @Test func anonymousCannotSearchTheDomain() throws {
        let directory = try TestDirectory.require()
        let connection = try LDAPConnection.connect(LDAPConfiguration(urls: [directory.ldapURL]), logger: logger)
        let error = try #require(throws: LDAPError.self) {
            try connection.search(base: directory.baseDN, scope: .subtree, filter: "(sAMAccountName=Administrator)",
                                  attributes: ["cn"], pageSize: 10) { _ in }
        }
        #expect(error.code == .operationsError)
        #expect(error.diagnosticMessage?.contains("without authentication") == true)
    }

    @Test func plainSimpleBindNeedsEncryption() throws {
        let directory = try TestDirectory.require()
        let error = try #require(throws: LDAPError.self) {
            try LDAPConnection.connect(LDAPConfiguration(urls: [directory.ldapURL], bind: adminBind(directory)), logger: logger)
        }
        #expect(error.code == .strongAuthRequired)
        #expect(error.kind == .bindRefused)
        #expect(error.operation == "bind")
        #expect(error.diagnosticMessage?.contains("Transport encryption required") == true)
        #expect(error.description.contains("Transport encryption required"))
        #expect(!error.description.contains(directory.password))
    }

    @Test func wrongPasswordNeverPrinted() throws {
        let directory = try TestDirectory.require()
        let wrong = "Wr0ng-\(UUID().uuidString)"
        let error = try #require(throws: LDAPError.self) {
            try LDAPConnection.connect(
                LDAPConfiguration(urls: [directory.url, directory.url], caFile: directory.caFile,
                                  bind: .simple(dn: directory.bindDN, password: LDAPSecret(wrong))),
                logger: logger)
        }
        #expect(error.code == .invalidCredentials)
        #expect(error.kind == .bindRefused)
        #expect(error.bindDN == directory.bindDN)
        var dumped = ""
        dump(error, to: &dumped)
        for text in [error.description, error.debugDescription, "\(error)", String(reflecting: error), dumped] {
            #expect(!text.contains(wrong))
            #expect(!text.contains(directory.password))
            #expect(text.contains("49"))
        }
        #expect(error.description.contains(directory.bindDN))
    }

    @Test func failoverToTheNextURL() throws {
        let directory = try TestDirectory.require()
        let connection = try LDAPConnection.connect(
            LDAPConfiguration(urls: ["ldaps://127.0.0.1:1", directory.url], caFile: directory.caFile,
                              networkTimeout: .seconds(3), bind: adminBind(directory)),
            logger: logger)
        #expect(connection.url == directory.url)
    }

    /// 127.0.0.1 with the right CA: the certificate names dc1.phs.test, not the address.
    /// dc1.phs.test with the system CAs: the issuer is unknown. (Each cause in detail:
    /// LDAPFaultTLSTests.)
    @Test(arguments: [false, true])
    func tlsFailureIsNotServerDown(byAddress: Bool) throws {
        let directory = try TestDirectory.require()
        let url = byAddress ? "ldaps://127.0.0.1" : directory.url
        let caFile = byAddress ? directory.caFile : "/etc/ssl/certs/ca-certificates.crt"
        let error = try #require(throws: LDAPError.self) {
            try LDAPConnection.connect(
                LDAPConfiguration(urls: [url], caFile: caFile, bind: adminBind(directory)), logger: logger)
        }
        #expect(error.code == .serverDown)
        #expect(error.kind == .tlsHandshakeFailed)
        if byAddress {
            #expect(error.tlsProblem == .nameMismatch(host: "127.0.0.1", names: ["DC1.phs.test"]))
        } else {
            #expect(error.hint?.contains("CA") == true)
            #expect(error.tlsProblem.map { if case .untrustedCertificate = $0 { true } else { false } } == true)
        }
    }

    @Test func startTLSWithUnknownCA() throws {
        let directory = try TestDirectory.require()
        let error = try #require(throws: LDAPError.self) {
            try LDAPConnection.connect(
                LDAPConfiguration(urls: [directory.ldapURL], startTLS: true, caFile: "/etc/ssl/certs/ca-certificates.crt",
                                  bind: adminBind(directory)),
                logger: logger)
        }
        #expect(error.kind == .tlsHandshakeFailed)
        #expect(error.operation == "start TLS")
    }

    @Test func skipTLSVerifyConnectsByAddress() throws {
        let directory = try TestDirectory.require()
        let connection = try LDAPConnection.connect(
            LDAPConfiguration(urls: ["ldaps://127.0.0.1"], skipTLSVerify: true, bind: adminBind(directory)), logger: logger)
        #expect(connection.isTLS)
    }

    @Test func rootDSEAnonymously() throws {
        let directory = try TestDirectory.require()
        let connection = try LDAPConnection.connect(
            LDAPConfiguration(urls: [directory.ldapURL]), logger: logger)
        let rootDSE = try #require(
            try connection.read("", attributes: ["defaultNamingContext", "supportedControl", "dnsHostName"]))
        #expect(rootDSE.dn == "")
        #expect(rootDSE.string("defaultNamingContext")?.caseInsensitiveCompare(directory.baseDN) == .orderedSame)
        #expect(rootDSE.strings("supportedControl").contains("1.2.840.113556.1.4.319"))
    }

    @Test func pagedSearchStreamsMoreThanAThousandEntries() throws {
        let directory = try TestDirectory.require()
        let connection = try LDAPConnection.connect(adminLDAPS(directory), logger: logger)
        var pages: [LDAPPageInfo] = []
        var names = Set<String>()
        var guids = 0
        try connection.search(
            base: "OU=Bulk,\(directory.baseDN)", scope: .subtree, filter: "(&(objectCategory=person)(objectClass=user))",
            attributes: ["sAMAccountName", "objectGUID"], pageSize: 250,
            onPage: { pages.append($0) }
        ) { entry in
            if let name = entry.string("sAMAccountName") { names.insert(name) }
            if entry.first("objectGUID")?.count == 16 { guids += 1 }
        }
        #expect(names.count > 1000)
        #expect(guids == names.count)
        #expect(pages.count >= 5)
        #expect(pages.map(\.page) == Array(1...pages.count))
        #expect(pages.last?.entriesSoFar == names.count)
    }

    @Test func subtreeSearchFromTheRootSkipsReferences() throws {
        let directory = try TestDirectory.require()
        let connection = try LDAPConnection.connect(adminLDAPS(directory), logger: logger)
        var found: [LDAPEntry] = []
        try connection.search(
            base: directory.baseDN, scope: .subtree,
            filter: "(sAMAccountName=\(LDAPFilter.escape("alice.synced")))",
            attributes: ["sAMAccountName", "objectSid", "objectGUID", "pwdLastSet"], pageSize: 500
        ) { found.append($0) }
        let alice = try #require(found.first)
        #expect(found.count == 1)
        #expect(alice.first("objectGUID")?.count == 16)
        #expect(alice.first("objectSid")?.count == 28)
        #expect(alice.string("pwdLastSet").flatMap(Int64.init) != nil)
    }

    @Test func stoppingEarlyLeavesTheConnectionUsable() throws {
        struct Enough: Error {}
        let directory = try TestDirectory.require()
        let connection = try LDAPConnection.connect(adminLDAPS(directory), logger: logger)
        var seen = 0
        #expect(throws: Enough.self) {
            try connection.search(
                base: "OU=Bulk,\(directory.baseDN)", scope: .oneLevel, filter: "(objectClass=user)",
                attributes: ["cn"], pageSize: 100
            ) { _ in
                seen += 1
                if seen == 150 { throw Enough() }
            }
        }
        #expect(seen == 150)
        var again = 0
        try connection.search(
            base: "OU=Bulk,\(directory.baseDN)", scope: .oneLevel, filter: "(objectClass=user)",
            attributes: ["1.1"], pageSize: 500
        ) { _ in again += 1 }
        #expect(again > 1000)
    }

    @Test func cancellationStopsTheSearch() async throws {
        let directory = try TestDirectory.require()
        let configuration = adminLDAPS(directory)
        let logger = self.logger
        let bulk = "OU=Bulk,\(directory.baseDN)"
        let seen = try await Task {
            let connection = try LDAPConnection.connect(configuration, logger: logger)
            var seen = 0
            do {
                try connection.search(base: bulk, scope: .oneLevel, filter: "(objectClass=user)", attributes: ["cn"],
                                      pageSize: 100) { _ in
                    seen += 1
                    if seen == 10 { withUnsafeCurrentTask { $0?.cancel() } }
                }
            } catch is CancellationError {}
            return seen
        }.value
        #expect(seen == 10)
    }

    @Test func searchErrors() throws {
        let directory = try TestDirectory.require()
        let connection = try LDAPConnection.connect(adminLDAPS(directory), logger: logger)
        let badFilter = try #require(throws: LDAPError.self) {
            try connection.search(base: directory.baseDN, scope: .base, filter: "(cn=unbalanced", attributes: [],
                                  pageSize: nil) { _ in }
        }
        #expect(badFilter.code == .filterError)
        #expect(badFilter.kind == .invalidArgument)

        let missing = try #require(throws: LDAPError.self) {
            try connection.search(base: "OU=Nowhere,\(directory.baseDN)", scope: .subtree, filter: "(objectClass=*)",
                                  attributes: [], pageSize: 100) { _ in }
        }
        #expect(missing.code == .noSuchObject)
        #expect(missing.operation == "search")
        #expect(try connection.read("OU=Nowhere,\(directory.baseDN)", attributes: []) == nil)
    }
}

extension TestDirectory {
    private static let kerberosSetUp: Void = {
        // Process-wide, once: libkrb5 reads these when the first GSSAPI bind needs them.
        let directory = TestDirectory.current
        if let directory {
            setenv("KRB5_CONFIG", directory.krb5Config, 1)
            setenv("KRB5CCNAME", directory.krb5CCName, 1)
        }
    }()

    /// Points this process's Kerberos library at the test realm and the ticket cache
    /// `scripts/test-directory.sh start` filled with kinit.
    func useKerberosTicketCache() {
        Self.kerberosSetUp
    }
}

/// A TCP socket on 127.0.0.1 that listens and never reads: the kernel completes the TCP
/// handshake from the backlog, nothing ever answers. (Also used by RunSafetyTests.)
final class SilentListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard fd >= 0, bound else {
            if fd >= 0 { close(fd) }
            throw POSIXError(.EADDRNOTAVAIL)
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
