import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Tools of the LDAP fault tests (LDAPFault*Tests.swift): the scripted server
/// (`scripts/fake-ldap.py`), a slapd of the test's own, certificates made with openssl, and
/// measuring.
enum LDAPFault {
    /// The package's root folder.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A new folder for one test, removed by the caller (`defer`).
    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ldapfault-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A file of `contents` with mode 0600 (a password file phs-check does not warn about).
    static func privateFile(in folder: URL, _ name: String, _ contents: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return path
    }

    /// The process ignores SIGPIPE, as phs-check does at start (Interruption.install): a write
    /// to a connection the server closed is then EPIPE, which libldap reports as
    /// LDAP_SERVER_DOWN. (GnuTLS writes a close_notify to the dead socket when libldap closes
    /// a lost LDAPS connection.) Without this the test process would die of the signal.
    static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard ok else { throw POSIXError(.EADDRNOTAVAIL) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// How long `body` takes.
    static func time<R>(_ body: () throws -> R) rethrows -> (R, Duration) {
        let start = ContinuousClock.now
        let result = try body()
        return (result, ContinuousClock.now - start)
    }

    /// A self-signed certificate and its key, made with openssl(1) in `folder`: the subject's
    /// CN and the subjectAltName entries (`DNS:name`, `IP:address`) given.
    static func selfSigned(in folder: URL, name: String, commonName: String, altNames: [String] = [],
                           days: Int = 2) throws -> (certificate: String, key: String) {
        let certificate = folder.appendingPathComponent("\(name).pem").path
        let key = folder.appendingPathComponent("\(name).key").path
        var arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
                         "-days", String(days), "-subj", "/O=phs-check tests/CN=\(commonName)"]
        if !altNames.isEmpty { arguments += ["-addext", "subjectAltName=" + altNames.joined(separator: ",")] }
        let result = try CommandRunner.run("/usr/bin/openssl", arguments)
        try #require(result.status == 0, "openssl req failed: \(result.stderr)")
        return (certificate, key)
    }

    /// The DER of a PEM certificate file (openssl x509 -outform DER).
    static func der(ofPEM path: String) throws -> Data {
        let result = try CommandRunner.run("/usr/bin/openssl", ["x509", "-in", path, "-outform", "DER"])
        try #require(result.status == 0, "openssl x509 failed: \(result.stderr)")
        return result.stdout
    }
}

/// A test server script of the project (`scripts/fake-ldap.py`, `scripts/graph-emulator.py`)
/// run by Debian's python3 on a free port of 127.0.0.1: it announces "PORT <n>" on the first
/// line of its standard output, and exits when this object goes (its standard input closes;
/// it is also terminated by pid).
final class ScriptServer {
    let port: Int
    private let process: Process
    private let input: Pipe

    /// `script`: a path; `arguments`: its options.
    init(script: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script] + arguments
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        self.input = input
        guard let port = Self.announcedPort(output) else {
            process.terminate()
            throw ScriptServerFailed(script: script)
        }
        self.port = port
    }

    deinit { stop() }

    /// Ends the script and waits for it (again: nothing).
    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// The port of the first line, "PORT <n>"; nil when the script exits first.
    private static func announcedPort(_ output: Pipe) -> Int? {
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let first = String(decoding: line, as: UTF8.self).split(separator: "\n").first ?? ""
        guard first.hasPrefix("PORT ") else { return nil }
        return Int(first.dropFirst(5).trimmingCharacters(in: .whitespaces))
    }
}

struct ScriptServerFailed: Error, CustomStringConvertible {
    var script: String
    var description: String { "\(script) did not start (no PORT line)" }
}

/// `scripts/fake-ldap.py`: a scripted LDAP server for protocol misbehaviour that real servers
/// will not produce.
final class FakeLDAPServer {
    private let server: ScriptServer

    var port: Int { server.port }
    var url: String { "ldap://127.0.0.1:\(port)" }
    var ldapsURL: String { "ldaps://127.0.0.1:\(port)" }

    /// `arguments`: the script's options (`--scenario`, ...).
    init(_ arguments: [String]) throws {
        server = try ScriptServer(script: LDAPFault.root.appendingPathComponent("scripts/fake-ldap.py").path, arguments)
    }
}

/// An OpenLDAP slapd of the test's own, provisioned as `scripts/test-directory.sh` provisions
/// the shared one (ad-lite schema, `scripts/slapd/generate-users.py`, slapadd) in a temporary
/// folder, on its own port: a test may stop or kill it. Never the shared instance.
///
/// Suffix `DC=fault,DC=test`; the users under `OU=People`; the rootdn `CN=admin,DC=fault,DC=test`
/// and two readers with the password `reader-password`: `CN=limited` (at most `prtotal` entries a
/// paged search) and `CN=unchecked` (at most 10 candidates without an index).
final class PrivateSlapd: @unchecked Sendable { // kill() may come from another thread: it only signals
    static let baseDN = "DC=fault,DC=test"
    static let peopleDN = "OU=People,DC=fault,DC=test"
    static let limitedDN = "CN=limited,DC=fault,DC=test"
    static let uncheckedDN = "CN=unchecked,DC=fault,DC=test"
    static let readerPassword = "reader-password"
    static let rootDN = "CN=admin,DC=fault,DC=test"
    static let rootPassword = "root-password"

    static let slapd = "/usr/sbin/slapd"
    static let slapadd = "/usr/sbin/slapadd"

    /// Whether the tests that need one can run: slapd is installed, or CI=true (where a
    /// missing slapd must fail, in `init`, not skip).
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: slapd) || TestDirectory.isCI
    }

    let folder: URL
    let port: Int
    private var process: Process?

    var url: String { "ldap://127.0.0.1:\(port)" }

    init(users: Int, prtotal: Int = 50) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.slapd), FileManager.default.isExecutableFile(atPath: Self.slapadd) else {
            Issue.record("slapd is not installed: run scripts/install-deps.sh (package slapd)")
            throw TestDirectoryMissing()
        }
        folder = try LDAPFault.temporaryFolder()
        port = try LDAPFault.freePort()
        let database = folder.appendingPathComponent("db").path
        try FileManager.default.createDirectory(atPath: database, withIntermediateDirectories: true)
        let configuration = """
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include \(LDAPFault.root.appendingPathComponent("scripts/slapd/ad-lite.schema").path)
            pidfile \(folder.path)/slapd.pid
            argsfile \(folder.path)/slapd.args
            modulepath /usr/lib/ldap
            moduleload back_mdb

            database mdb
            maxsize 104857600
            suffix "\(Self.baseDN)"
            rootdn "\(Self.rootDN)"
            rootpw \(Self.rootPassword)
            directory \(database)
            index objectClass eq
            limits dn.exact="\(Self.limitedDN)" size.soft=1000 size.hard=1000 size.pr=1000 size.prtotal=\(prtotal)
            limits dn.exact="\(Self.uncheckedDN)" size.unchecked=10

            """
        let conf = folder.appendingPathComponent("slapd.conf").path
        try configuration.write(toFile: conf, atomically: true, encoding: .utf8)
        var readers = ""
        for name in ["limited", "unchecked"] {
            readers += "dn: CN=\(name),\(Self.baseDN)\nobjectClass: person\ncn: \(name)\nsn: \(name)\nuserPassword: \(Self.readerPassword)\n\n"
        }
        try readers.write(to: folder.appendingPathComponent("readers.ldif"), atomically: true, encoding: .utf8)
        let generator = LDAPFault.root.appendingPathComponent("scripts/slapd/generate-users.py").path
        let load = try CommandRunner.run("/bin/sh", ["-c", """
            set -e
            /usr/bin/python3 "$1" "$2" "$3" > "$4/users.ldif"
            \(Self.slapadd) -q -f "$5" -b "$2" -l "$4/users.ldif"
            \(Self.slapadd) -q -f "$5" -b "$2" -l "$4/readers.ldif"
            """, "load", generator, Self.baseDN, String(users), folder.path, conf])
        try #require(load.status == 0, "provisioning the private slapd failed: \(load.stderr)")
        // In the foreground (-d 0: no debug output, no fork), a child of this process.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.slapd)
        process.arguments = ["-d", "0", "-f", conf, "-h", "\(url)/"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, process.isRunning {
            if Self.accepts(port: port) { return }
            usleep(50_000)
        }
        Issue.record("the private slapd on port \(port) did not come up")
        throw TestDirectoryMissing()
    }

    /// Kills this instance at once (SIGKILL), by the pid of the child this object started.
    func kill() {
        guard let process, process.isRunning else { return }
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
    }

    deinit {
        // A throwaway instance: no need for slapd's orderly (and slower) shutdown.
        kill()
        process?.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
