import Foundation
import Testing

/// The real test directory started by `scripts/test-directory.sh start` (Samba AD DC and slapd
/// on loopback), described by the variables `scripts/test-directory.sh env` prints.
///
/// Without them a test that needs the directory is skipped on a laptop, but under `CI=true` it
/// fails: a green CI must mean the real DC was exercised.
struct TestDirectory: Sendable {
    let url: String              // ldaps://dc1.phs.test
    let ldapURL: String          // ldap://dc1.phs.test (plain, for StartTLS and GSSAPI)
    let caFile: String
    let baseDN: String
    let bindDN: String
    let passwordFile: String
    let userPasswordFile: String
    let realm: String
    let krb5Config: String
    let krb5CCName: String
    let slapdURL: String
    let slapdPasswordFile: String
    let slapdSmallBaseDN: String
    let slapdSmallUsers: Int
    let slapdLargeBaseDN: String
    let slapdLargeUsers: Int
    /// The Graph emulator `scripts/test-directory.sh start` runs for the slapd small directory's users.
    let graph: SharedGraph?

    struct SharedGraph: Sendable {
        let url: String
        let caFile: String
        let tenantId: String
        let clientId: String
        let secretFile: String
        let users: Int

        var options: [String] {
            ["--tenant-id", tenantId, "--client-id", clientId, "--client-secret-file", secretFile,
             "--graph-url", url, "--login-url", url, "--graph-ca-file", caFile]
        }
    }

    /// The admin password, for tests that must check it never appears in output.
    var password: String {
        (try? String(contentsOfFile: passwordFile, encoding: .utf8))?.trimmingCharacters(in: .newlines) ?? ""
    }

    /// Whether the directory is there; `nil` means skip (not under CI) — under CI it records a failure.
    static let current: TestDirectory? = {
        let env = ProcessInfo.processInfo.environment
        func v(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let url = v("PHS_TEST_DC_URL"), let ldapURL = v("PHS_TEST_DC_LDAP_URL"),
              let caFile = v("PHS_TEST_DC_CA_FILE"), let baseDN = v("PHS_TEST_DC_BASE_DN"),
              let bindDN = v("PHS_TEST_DC_BIND_DN"), let passwordFile = v("PHS_TEST_DC_PASSWORD_FILE"),
              let userPasswordFile = v("PHS_TEST_DC_USER_PASSWORD_FILE"),
              let realm = v("PHS_TEST_DC_REALM"), let krb5Config = v("PHS_TEST_DC_KRB5_CONFIG"),
              let krb5CCName = v("PHS_TEST_DC_KRB5CCNAME"), let slapdURL = v("PHS_TEST_SLAPD_URL"),
              let slapdPasswordFile = v("PHS_TEST_SLAPD_PASSWORD_FILE"),
              let small = v("PHS_TEST_SLAPD_SMALL_BASE_DN"), let smallUsers = v("PHS_TEST_SLAPD_SMALL_USERS").flatMap(Int.init),
              let large = v("PHS_TEST_SLAPD_LARGE_BASE_DN"), let largeUsers = v("PHS_TEST_SLAPD_LARGE_USERS").flatMap(Int.init)
        else { return nil }
        var graph: SharedGraph?
        if let url = v("PHS_TEST_GRAPH_URL"), let ca = v("PHS_TEST_GRAPH_CA_FILE"), let tenant = v("PHS_TEST_GRAPH_TENANT_ID"),
           let client = v("PHS_TEST_GRAPH_CLIENT_ID"), let secret = v("PHS_TEST_GRAPH_SECRET_FILE"),
           let users = v("PHS_TEST_GRAPH_USERS").flatMap(Int.init) {
            graph = SharedGraph(url: url, caFile: ca, tenantId: tenant, clientId: client, secretFile: secret, users: users)
        }
        return TestDirectory(
            url: url, ldapURL: ldapURL, caFile: caFile, baseDN: baseDN, bindDN: bindDN,
            passwordFile: passwordFile, userPasswordFile: userPasswordFile, realm: realm,
            krb5Config: krb5Config, krb5CCName: krb5CCName, slapdURL: slapdURL,
            slapdPasswordFile: slapdPasswordFile, slapdSmallBaseDN: small, slapdSmallUsers: smallUsers,
            slapdLargeBaseDN: large, slapdLargeUsers: largeUsers, graph: graph)
    }()

    /// The second Samba AD DC, another forest (realm EMEA.TEST on 127.0.0.2), as a directory of
    /// its own: same slapd and Graph as `current`. `script` stops and starts it (`samba2`).
    static let second: (dc: TestDirectory, script: String)? = {
        let env = ProcessInfo.processInfo.environment
        func v(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let first = current, let url = v("PHS_TEST_DC2_URL"), let ldapURL = v("PHS_TEST_DC2_LDAP_URL"),
              let caFile = v("PHS_TEST_DC2_CA_FILE"), let baseDN = v("PHS_TEST_DC2_BASE_DN"),
              let bindDN = v("PHS_TEST_DC2_BIND_DN"), let passwordFile = v("PHS_TEST_DC2_PASSWORD_FILE"),
              let realm = v("PHS_TEST_DC2_REALM"), let krb5Config = v("PHS_TEST_DC2_KRB5_CONFIG"),
              let krb5CCName = v("PHS_TEST_DC2_KRB5CCNAME"), let script = v("PHS_TEST_SCRIPT")
        else { return nil }
        let dc = TestDirectory(
            url: url, ldapURL: ldapURL, caFile: caFile, baseDN: baseDN, bindDN: bindDN,
            passwordFile: passwordFile, userPasswordFile: first.userPasswordFile, realm: realm,
            krb5Config: krb5Config, krb5CCName: krb5CCName, slapdURL: first.slapdURL,
            slapdPasswordFile: first.slapdPasswordFile, slapdSmallBaseDN: first.slapdSmallBaseDN,
            slapdSmallUsers: first.slapdSmallUsers, slapdLargeBaseDN: first.slapdLargeBaseDN,
            slapdLargeUsers: first.slapdLargeUsers, graph: first.graph)
        return (dc, script)
    }()

    /// The second DC, or a recorded failure explaining how to start it.
    static func requireSecond(sourceLocation: SourceLocation = #_sourceLocation) throws -> (dc: TestDirectory, script: String) {
        guard let second else {
            Issue.record("the second test DC (PHS_TEST_DC2_*) is not running: start it with scripts/test-directory.sh start and export the variables of scripts/test-directory.sh env", sourceLocation: sourceLocation)
            throw TestDirectoryMissing()
        }
        return second
    }

    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// True when the tests that need the directory can run. Use as
    /// `@Suite(.enabled(if: TestDirectory.available))` — under CI this is always true, so a
    /// missing directory fails inside `TestDirectory.require()` instead of skipping.
    static var available: Bool { current != nil || isCI }

    /// The directory, or a recorded failure explaining how to start it.
    static func require(sourceLocation: SourceLocation = #_sourceLocation) throws -> TestDirectory {
        guard let current else {
            Issue.record("CI=true but the test directory is not running: start it with scripts/test-directory.sh start and export the variables of scripts/test-directory.sh env", sourceLocation: sourceLocation)
            throw TestDirectoryMissing()
        }
        return current
    }

    /// Environment for child processes that bind with GSSAPI: the test realm's krb5.conf and
    /// the ticket cache `scripts/test-directory.sh start` filled with kinit.
    var kerberosEnvironment: [String: String] {
        ["KRB5_CONFIG": krb5Config, "KRB5CCNAME": krb5CCName]
    }
}

struct TestDirectoryMissing: Error {}

/// The suites that change the test DC or read all of it: serialized together, so that a
/// whole-domain read never sees another suite's users half created.
@Suite(.serialized) enum DirectoryWriters {}
