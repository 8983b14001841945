import CloudExport
@testable import EntraGraph
import Foundation
import NIOHTTP1
import SyncAudit
import Testing

/// `export-cloud` and `--cloud graph` against the project's Graph emulator: paging, both
/// credentials, refusals, throttling, token expiry, faults, the tenant's state, national clouds
/// and proxies. Each test runs its own emulator.
@Suite(.enabled(if: GraphEmulator.available))
struct GraphCLITests {
    /// 2,100 users (three pages of up to 999) in every shape the readers care about.
    nonisolated(unsafe) static let users: [[String: Any]] = (0..<2100).map { i in
        let name = i == 5 ? "jürgen.o'neil" : "user\(i)"
        var user: [String: Any] = [
            "id": String(format: "00000000-0000-4000-8000-%012d", i),
            "displayName": "User \(i)",
            "userPrincipalName": "\(name)@contoso.example",
            "accountEnabled": i % 7 != 0,
            "lastPasswordChangeDateTime": iso(Date(timeIntervalSince1970: 1_700_000_000 - Double(i) * 60)),
            "onPremisesImmutableId": Data((0..<16).map { UInt8(($0 + i) % 256) }).base64EncodedString(),
            "onPremisesSyncEnabled": i % 11 == 0 ? NSNull() : true,
            "onPremisesLastSyncDateTime": iso(Date(timeIntervalSince1970: 1_700_000_500)),
            "onPremisesSecurityIdentifier": "S-1-5-21-1-2-3-\(1000 + i)",
            "onPremisesSamAccountName": name,
            "onPremisesUserPrincipalName": "\(name)@contoso.local",
            "onPremisesDistinguishedName": i == 8 ? "CN=Doe\\, Jane,OU=Staff,DC=contoso,DC=local" : "CN=\(name),OU=Staff,DC=contoso,DC=local",
            "onPremisesDomainName": "contoso.local",
            "passwordPolicies": i % 5 == 0 ? "DisablePasswordExpiration" : NSNull(),
            "onPremisesProvisioningErrors": [] as [Any],
        ]
        if i == 3 {
            user["onPremisesProvisioningErrors"] = [["category": "PropertyConflict", "occurredDateTime": "2024-01-02T03:04:05Z",
                                                     "propertyCausingError": "UserPrincipalName", "value": "user3@contoso.example"]]
        }
        return user
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// The users as a Graph JSON file (a /users response), for the emulator and as the reference.
    static func usersFile(in folder: URL) throws -> String {
        let file = folder.appendingPathComponent("users.json")
        try JSONSerialization.data(withJSONObject: ["value": users], options: [.sortedKeys]).write(to: file)
        return file.path
    }

    final class Run {
        let folder: URL
        let emulator: GraphEmulator
        let reference: String
        var output: String { folder.appendingPathComponent("export.jsonl").path }

        init(scenario: [String: Any] = [:], arguments: [String] = []) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("graph-cli-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            reference = try GraphCLITests.usersFile(in: folder)
            emulator = try GraphEmulator(scenario: scenario, arguments: ["--users", reference] + arguments)
        }

        deinit { try? FileManager.default.removeItem(at: folder) }

        func export(certificate: Bool = true, _ extra: [String] = [], environment: [String: String] = [:]) throws -> CommandResult {
            let result = try CommandRunner.phsCheck(["export-cloud", "--output", output] + emulator.options(certificate: certificate) + extra,
                                                    environment: environment)
            // Whatever happened, no secret crossed into what phs-check printed.
            #expect(!result.output.contains(emulator.secret) && !result.stderr.contains(emulator.secret))
            #expect(!result.stderr.contains("eyJ"), "a JWT (assertion or token) in the output")
            return result
        }

        /// Nothing but the reference file is left in the folder (no partial export, no temporary file).
        func expectNoExport(sourceLocation: SourceLocation = #_sourceLocation) throws {
            let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "users.json" }
            #expect(left.isEmpty, "left behind: \(left)", sourceLocation: sourceLocation)
        }

        func usersRequests() throws -> [[String: Any]] { try emulator.requests().filter { $0["endpoint"] as? String == "users" } }
    }

    @Test("export-cloud with a certificate: three pages, the same users as the Graph JSON file, a header and a closing line")
    func exportEqualsFile() throws {
        let run = try Run()
        let result = try run.export()
        #expect(result.status == 0, "\(result.stderr)")
        let exported = try CloudExportReader.readAll(path: run.output)
        let reference = try CloudExportReader.readAll(path: run.reference)
        #expect(exported.users.count == 2100)
        #expect(exported.users == reference.users)
        let header = try #require(exported.summary.graphExport)
        #expect(header.tenantId == GraphEmulator.tenantId)
        #expect(header.graphURL == run.emulator.url + "/v1.0")
        #expect(header.fetchStartedAt <= header.fetchFinishedAt)
        #expect(header.properties.contains("lastPasswordChangeDateTime") && header.properties.contains("onPremisesImmutableId"))
        #expect(exported.users.first { $0.onPremisesSamAccountName == "user3" }?.onPremisesProvisioningErrors
                == ["PropertyConflict: UserPrincipalName = user3@contoso.example"])

        let lines = try String(contentsOfFile: run.output, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2102)
        try SchemaValidator.validate(json: String(lines[0]), schema: "cloud-export-header")
        try SchemaValidator.validate(json: String(lines[lines.count - 1]), schema: "cloud-export-end")
        #expect(lines.first?.hasPrefix(#"{"kind":"phs-check/cloud-export","version":1,"#) == true)
        #expect(lines.last == #"{"kind":"phs-check/cloud-export-end","users":2100}"#)

        let pages = try run.usersRequests()
        #expect(pages.map { $0["page"] as? Int } == [1, 2, 3])
        #expect(pages.allSatisfy { $0["status"] as? Int == 200 })
        let first = try #require(pages.first?["params"] as? [String: Any])
        #expect((first["$top"] as? String) == "999")
        let tokens = try run.emulator.requests().filter { $0["endpoint"] as? String == "token" }
        #expect(tokens.count == 1)
        #expect(tokens.first?["grant"] as? String == "assertion" && tokens.first?["alg"] as? String == "PS256")
    }

    @Test("A client secret from a file or PHS_CHECK_CLIENT_SECRET signs in; it is in no output, even verbose")
    func secretAuth() throws {
        let run = try Run()
        let file = try run.export(certificate: false, ["--verbose"])
        #expect(file.status == 0, "\(file.stderr)")
        let fromEnvironment = try CommandRunner.phsCheck(
            ["export-cloud", "--output", run.output, "--tenant-id", GraphEmulator.tenantId, "--client-id", GraphEmulator.clientId,
             "--graph-url", run.emulator.url, "--login-url", run.emulator.url, "--graph-ca-file", try GraphEmulator.caFile, "-v"],
            environment: ["PHS_CHECK_CLIENT_SECRET": run.emulator.secret])
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")
        #expect(!fromEnvironment.stderr.contains(run.emulator.secret))
        let grants = try run.emulator.requests().compactMap { $0["grant"] as? String }
        #expect(grants == ["secret", "secret"])
    }

    @Test("A secret file others can read is warned about; one shared with phs-check's own group is not")
    func secretFileModes() throws {
        let run = try Run()
        chmod(run.emulator.secretFile, 0o644)
        let open = try run.export(certificate: false)
        #expect(open.status == 0, "\(open.stderr)")
        #expect(open.stderr.contains("can be read by other users"))
        chown(run.emulator.secretFile, getuid(), getegid())
        chmod(run.emulator.secretFile, 0o640)
        let shared = try run.export(certificate: false)
        #expect(shared.status == 0, "\(shared.stderr)")
        #expect(!shared.stderr.contains("can be read by other users"), "\(shared.stderr)")
    }

    @Test("An expired app certificate is refused before any request; one that expires within 30 days is warned about")
    func certificateValidity() throws {
        let run = try Run()
        let cert = run.folder.appendingPathComponent("expired.pem").path, key = run.folder.appendingPathComponent("expired-key.pem").path
        let made = try CommandRunner.run("/usr/bin/python3", ["-c", """
            import datetime, sys
            from cryptography import x509
            from cryptography.x509.oid import NameOID
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import rsa
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "expired app")])
            cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                    .serial_number(1).not_valid_before(datetime.datetime(2019, 1, 1)).not_valid_after(datetime.datetime(2020, 1, 1))
                    .sign(key, hashes.SHA256()))
            open(sys.argv[1], "wb").write(cert.public_bytes(serialization.Encoding.PEM))
            open(sys.argv[2], "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption()))
            """, cert, key])
        try #require(made.status == 0, "\(made.stderr)")
        chmod(key, 0o600)
        var options = try run.emulator.options()
        let at = try #require(options.firstIndex(of: "--client-certificate"))
        options[at + 1] = cert
        options[at + 3] = key
        let expired = try CommandRunner.phsCheck(["export-cloud", "--output", run.output] + options)
        #expect(expired.status == 2)
        #expect(expired.stderr.contains("expired on 2020-01-01T00:00:00Z"), "\(expired.stderr)")
        #expect(try run.emulator.requests().isEmpty, "refused before any request")
        #expect(!FileManager.default.fileExists(atPath: run.output))
        // The emulator's own app certificate is valid for 30 days only.
        let soon = try run.export()
        #expect(soon.status == 0)
        #expect(soon.stderr.contains("make a new one and upload it to the app registration before then"), "\(soon.stderr)")
    }

    @Test("A wrong secret and an unregistered certificate are refused by Entra ID: exit 3 with the AADSTS code, no file")
    func refusedCredentials() throws {
        let run = try Run()
        try "not-the-secret\n".write(toFile: run.emulator.secretFile, atomically: true, encoding: .utf8)
        let wrong = try run.export(certificate: false)
        #expect(wrong.status == 3)
        #expect(wrong.stderr.contains("AADSTS7000215"), "\(wrong.stderr)")
        #expect(wrong.stderr.contains("Check the client secret"))
        #expect(!wrong.stderr.contains("not-the-secret"))
        try run.expectNoExport()

        // A certificate (and its key) that is not registered on the app: the assertion's
        // signature cannot be checked against the app's certificates.
        let other = run.folder.appendingPathComponent("other-certs")
        let made = try CommandRunner.run("/usr/bin/python3", [GraphEmulator.script, "--make-cert", other.path, "--no-serve"])
        try #require(made.status == 0)
        let unregistered = try CommandRunner.phsCheck(
            ["export-cloud", "--output", run.output, "--tenant-id", GraphEmulator.tenantId, "--client-id", GraphEmulator.clientId,
             "--graph-url", run.emulator.url, "--login-url", run.emulator.url, "--graph-ca-file", try GraphEmulator.caFile,
             "--client-certificate", other.appendingPathComponent("app.pem").path, "--client-key", other.appendingPathComponent("app-key.pem").path])
        #expect(unregistered.status == 3)
        #expect(unregistered.stderr.contains("AADSTS700027"), "\(unregistered.stderr)")
        try FileManager.default.removeItem(at: other)
        try run.expectNoExport()

        // A key that is not the certificate's: refused before any request.
        let mismatched = try CommandRunner.phsCheck(
            ["export-cloud", "--output", run.output, "--tenant-id", GraphEmulator.tenantId, "--client-id", GraphEmulator.clientId,
             "--graph-url", run.emulator.url, "--login-url", run.emulator.url, "--graph-ca-file", try GraphEmulator.caFile,
             "--client-certificate", try GraphEmulator.certFile, "--client-key", try GraphEmulator.caFile])
        #expect(mismatched.status == 2)
        #expect(mismatched.stderr.contains("--client-key"))
    }

    @Test("429 with Retry-After on page 2: the page is asked for again after the time Graph gave, and the export completes")
    func throttled() throws {
        let run = try Run(arguments: ["--fault", "users:2:throttle:retryAfter=2"])
        let result = try run.export()
        #expect(result.status == 0, "\(result.stderr)")
        let pages = try run.usersRequests()
        #expect(pages.map { $0["status"] as? Int } == [200, 429, 200, 200])
        let throttledAt = try #require(pages[1]["t"] as? Double)
        let retriedAt = try #require(pages[2]["t"] as? Double)
        let retriedMs = try #require(pages[2]["ms"] as? Double)
        // The log's time is when a request ended; the retry was sent at least 2 s after the 429.
        #expect(retriedAt - retriedMs / 1000 - throttledAt >= 1.95, "waited \(retriedAt - retriedMs / 1000 - throttledAt) s")
        #expect(pages[2]["page"] as? Int == 2)
        #expect(try CloudExportReader.readAll(path: run.output).users.count == 2100)
    }

    @Test("A token that expires mid-way: Graph's 401 takes one new token and the export completes")
    func tokenExpiry() throws {
        let run = try Run(arguments: ["--fault", "users:3:expire-token"])
        let result = try run.export()
        #expect(result.status == 0, "\(result.stderr)")
        let log = try run.emulator.requests()
        #expect(log.filter { $0["endpoint"] as? String == "token" }.count == 2)
        #expect(try run.usersRequests().map { $0["status"] as? Int } == [200, 200, 401, 200])
    }

    @Test("Our client assertion is accepted; the same assertion with a claim changed after signing is refused (AADSTS700027)")
    func tamperedAssertion() async throws {
        let emulator = try GraphEmulator()
        let certificate = try ClientCertificate(certificateFile: try GraphEmulator.certFile, keyFile: try GraphEmulator.keyFile)
        let tokenURL = "\(emulator.url)/\(GraphEmulator.tenantId)/oauth2/v2.0/token"
        let transport = try GraphTransport(caFile: try GraphEmulator.caFile, timeout: 10, environment: [:])
        func post(_ assertion: String) async throws -> GraphTransport.Response {
            let form = "client_id=\(GraphEmulator.clientId)&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&grant_type=client_credentials"
                + "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=\(assertion)"
            return try await transport.send(.POST, tokenURL, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                            body: Array(form.utf8), maxBody: 1 << 20)
        }
        let assertion = try certificate.assertion(clientId: GraphEmulator.clientId, audience: tokenURL)
        let parts = assertion.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        let accepted = try await post(assertion)
        // Changing the claims (a longer life) keeps the old signature: it no longer matches.
        let decoded = String(decoding: try #require(Base64URL.decode(parts[1])), as: UTF8.self)
        let exp = try #require(decoded.range(of: #""exp":\d+"#, options: .regularExpression))
        let changed = decoded.replacingCharacters(in: exp, with: #""exp":4102444800"#)
        let tampered = [parts[0], Base64URL.encode(Array(changed.utf8)), parts[2]].joined(separator: ".")
        let refused = try await post(tampered)
        await transport.shutdown()
        #expect(accepted.status == 200, "\(String(decoding: accepted.body, as: UTF8.self))")
        #expect(refused.status == 401)
        #expect(String(decoding: refused.body, as: UTF8.self).contains("AADSTS700027"))
        let log = try emulator.requests().filter { $0["endpoint"] as? String == "token" }
        #expect(log.first?["alg"] as? String == "PS256")
        // The emulator logs the x5t#S256 it matched, in hex.
        let hex = try #require(Base64URL.decode(certificate.thumbprintSHA256)).map { String(format: "%02x", $0) }.joined()
        #expect((log.first?["thumbprint"] as? String)?.lowercased() == hex)
    }

    @Test("A token is renewed before it expires: a 3-second token and a slow page give two token requests and no 401")
    func tokenRenewedEarly() throws {
        // Page 2 is answered 2.5 s after the token was issued (still valid); page 3 is asked
        // for past 80% of its life (2.4 s), so with a new token.
        let run = try Run(scenario: ["tokenLifetime": 3], arguments: ["--fault", "users:2:delay:seconds=2.5"])
        let result = try run.export()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try run.emulator.requests().filter { $0["endpoint"] as? String == "token" }.count == 2)
        #expect(try run.usersRequests().allSatisfy { $0["status"] as? Int == 200 })
    }

    @Test("A 503 storm past --max-retry-wait: exit 3, what happened, and no file")
    func retryBudget() throws {
        let run = try Run(arguments: ["--fault", "users::storm:status=503,retryAfter=2,duration=60,startAfter=1"])
        let result = try run.export(["--max-retry-wait", "3s"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("retry budget"), "\(result.stderr)")
        #expect(result.stderr.contains("503"))
        try run.expectNoExport()
    }

    @Test("A malformed page exits 2; a connection reset on every try exits 3; one reset is retried. No partial file")
    func faults() throws {
        let malformed = try Run(arguments: ["--fault", "users:2:malformed"])
        let bad = try malformed.export()
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("page 2"), "\(bad.stderr)")
        try malformed.expectNoExport()

        let resets = try Run(arguments: ["--fault", "users:2:reset:at=body,times=0"])
        let lost = try resets.export(["--max-retry-wait", "3s"])
        #expect(lost.status == 3)
        try resets.expectNoExport()

        let once = try Run(arguments: ["--fault", "users:2:reset:at=body"])
        let recovered = try once.export()
        #expect(recovered.status == 0, "\(recovered.stderr)")
        #expect(try CloudExportReader.readAll(path: once.output).users.count == 2100)
    }

    @Test("A redirect is not followed (the token stays with Graph): exit 3; a page past 64 MiB is not held: exit 2. No file")
    func redirectAndOversize() throws {
        let redirected = try Run(arguments: ["--fault", "users:2:redirect"])
        let moved = try redirected.export()
        #expect(moved.status == 3)
        #expect(moved.stderr.contains("302"), "\(moved.stderr)")
        #expect(!moved.stderr.contains("attacker.invalid"), "the Location is not where phs-check went")
        #expect(try redirected.usersRequests().count == 2, "nothing asked after the redirect")
        try redirected.expectNoExport()

        let huge = try Run(arguments: ["--fault", "users:1:oversize"])
        let big = try huge.export()
        #expect(big.status == 2)
        #expect(big.stderr.contains("larger than 64 MiB"), "\(big.stderr)")
        try huge.expectNoExport()
    }

    @Test("403s: /users refused exits 3 naming User.Read.All; onPremisesSynchronization (delegated only) is a warning in the file and the report")
    func forbidden() throws {
        let noUsers = try Run(scenario: ["forbidden": ["users"]])
        let refused = try noUsers.export()
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("403") && refused.stderr.contains("User.Read.All"), "\(refused.stderr)")
        try noUsers.expectNoExport()

        let run = try Run()
        let result = try run.export()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("delegated callers only"))
        let header = try #require(try CloudExportReader.readAll(path: run.output).summary.graphExport)
        #expect(header.notes.count == 1)
        #expect(header.tenant.passwordSyncEnabled == nil)
        #expect(header.tenant.onPremisesSyncEnabled != nil)
        #expect(header.tenant.cloudSyncJobs == [])
    }

    @Test("National clouds: the token names that cloud's Graph (usgov here); the wrong cloud is refused with Entra's words")
    func nationalCloud() throws {
        let run = try Run(scenario: ["graphResource": "https://graph.microsoft.us"])
        let usgov = try run.export(["--graph-cloud", "usgov"])
        #expect(usgov.status == 0, "\(usgov.stderr)")
        let global = try run.export(["--graph-cloud", "global"])
        #expect(global.status == 3)
        #expect(global.stderr.contains("AADSTS70011") || global.stderr.contains("invalid_scope"), "\(global.stderr)")
        let http = try run.export(["--graph-url", "http://127.0.0.1:1"])
        #expect(http.status == 2)
        #expect(http.stderr.contains("https://"))
    }

    @Test("TLS and proxies: an untrusted emulator CA says --graph-ca-file; HTTPS_PROXY is used unless NO_PROXY names the host")
    func tlsAndProxy() throws {
        let run = try Run()
        var options = try run.emulator.options()
        let ca = try #require(options.firstIndex(of: "--graph-ca-file"))
        options.removeSubrange(ca...(ca + 1))
        let untrusted = try CommandRunner.phsCheck(["export-cloud", "--output", run.output] + options)
        #expect(untrusted.status == 3)
        #expect(untrusted.stderr.contains("--graph-ca-file"), "\(untrusted.stderr)")

        let proxied = try run.export(["--timeout", "5s", "--max-retry-wait", "1s"], environment: ["HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""])
        #expect(proxied.status == 3)
        #expect(proxied.stderr.contains("127.0.0.1:9"), "\(proxied.stderr)")
        let bypassed = try run.export(environment: ["HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "localhost,127.0.0.1"])
        #expect(bypassed.status == 0, "\(bypassed.stderr)")
    }

    @Test("The export file is refused when cut short, and compare rejects --cloud graph with the way to go")
    func truncatedAndCompare() throws {
        let run = try Run()
        #expect(try run.export().status == 0)
        let text = try String(contentsOfFile: run.output, encoding: .utf8)
        let cut = run.folder.appendingPathComponent("cut.jsonl")
        try text.split(separator: "\n").dropLast().joined(separator: "\n").appending("\n").write(to: cut, atomically: true, encoding: .utf8)
        let error = #expect(throws: CloudExportError.self) { try CloudExportReader.readAll(path: cut.path) }
        #expect(error?.description.contains("cut off") == true)
        let compare = try CommandRunner.phsCheck(["compare", "--snapshot", cut.path, "--cloud", "graph"])
        #expect(compare.status == 2)
        #expect(compare.stderr.contains("export-cloud"))
    }
}
