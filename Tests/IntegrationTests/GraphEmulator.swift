import Foundation
import Testing

/// A private instance of the project's Microsoft Graph emulator (scripts/graph-emulator.py)
/// for one test: its own scenario, one app registration with a secret and a certificate, and
/// its own request log. Stopped when released.
final class GraphEmulator {
    static let tenantId = "3f6b1c2d-8e9a-4b7c-9d0e-1a2b3c4d5e6f"
    static let clientId = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
    static let script = LDAPFault.root.appendingPathComponent("scripts/graph-emulator.py").path

    let url: String
    let folder: URL
    let secret: String
    let secretFile: String
    let log: String
    private let server: ScriptServer

    /// Whether the emulator can run here: Debian's python3 with python3-cryptography, or
    /// CI=true (where a missing one must fail, in `init`, not skip).
    static let available: Bool = TestDirectory.isCI || (try? CommandRunner.run("/usr/bin/python3", ["-c", "import cryptography"]).status) == 0

    /// The TLS and app certificates, made once for the whole test run (`--make-cert`).
    static let certificates: Result<URL, any Error> = Result { try makeCertificates() }

    static func makeCertificates() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graph-certs-\(UUID().uuidString)")
        let made = try CommandRunner.run("/usr/bin/python3", [script, "--make-cert", folder.path, "--no-serve"])
        guard made.status == 0 else { throw EmulatorFailed(output: made.stderr) }
        return folder
    }

    /// The CA the emulator's TLS certificate chains to.
    static var caFile: String { get throws { try certificates.get().appendingPathComponent("ca.pem").path } }
    /// The app's registered certificate and its key.
    static var certFile: String { get throws { try certificates.get().appendingPathComponent("app.pem").path } }
    static var keyFile: String { get throws { try certificates.get().appendingPathComponent("app-key.pem").path } }

    /// `scenario` keys go over the defaults (see the emulator's "Scenario file"); `arguments`
    /// are more options (`--fault`, `--generate`, `--users`).
    init(scenario: [String: Any] = [:], arguments: [String] = []) throws {
        let certificates = try Self.certificates.get()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("graph-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        secret = "s3cret-" + UUID().uuidString
        secretFile = folder.appendingPathComponent("client-secret").path
        try secret.write(toFile: secretFile, atomically: true, encoding: .utf8)
        chmod(secretFile, 0o600)
        chmod(try Self.keyFile, 0o600)
        log = folder.appendingPathComponent("requests.jsonl").path
        var full: [String: Any] = [
            "tenantId": Self.tenantId,
            "apps": [["clientId": Self.clientId, "secrets": [secret], "certificates": [try Self.certFile]]],
        ]
        full.merge(scenario) { _, new in new }
        let scenarioFile = folder.appendingPathComponent("scenario.json")
        try JSONSerialization.data(withJSONObject: full).write(to: scenarioFile)
        server = try ScriptServer(script: Self.script, [
            "--tls-cert", certificates.appendingPathComponent("server.pem").path,
            "--tls-key", certificates.appendingPathComponent("server-key.pem").path,
            "--scenario", scenarioFile.path, "--log", log, "--port", "0", "--stdin-lifeline"] + arguments)
        url = "https://127.0.0.1:\(server.port)"
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// The options that point phs-check at this emulator, signing in with the certificate or the secret.
    func options(certificate: Bool = true) throws -> [String] {
        let credential = certificate ? ["--client-certificate", try Self.certFile, "--client-key", try Self.keyFile]
                                     : ["--client-secret-file", secretFile]
        return ["--tenant-id", Self.tenantId, "--client-id", Self.clientId, "--graph-url", url, "--login-url", url,
                "--graph-ca-file", try Self.caFile] + credential
    }

    /// The request log so far, one object per request.
    func requests() throws -> [[String: Any]] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }
}

struct EmulatorFailed: Error, CustomStringConvertible {
    var output: String
    var description: String { "the Graph emulator did not start: \(output)" }
}
