import ArgumentParser
import EntraGraph
import Foundation
import SyncAudit

/// How to sign in to Microsoft Graph (app-only) and where it is.
struct GraphOptions: ParsableArguments {
    @Option(name: .customLong("tenant-id"), help: ArgumentHelp(
        "The Entra tenant: its directory ID (a GUID) or its domain (contoso.onmicrosoft.com).", valueName: "id"))
    var tenantId: String?

    @Option(name: .customLong("client-id"), help: ArgumentHelp(
        "The app registration's Application (client) ID.", valueName: "guid"))
    var clientId: String?

    @Option(name: .customLong("client-secret-file"), help: ArgumentHelp(
        "A file holding the app's client secret (one line); or set PHS_CHECK_CLIENT_SECRET. Never on the command line.",
        valueName: "file"), completion: .file())
    var clientSecretFile: String?

    @Option(name: .customLong("client-certificate"), help: ArgumentHelp(
        "The certificate registered on the app (PEM); with --client-key. Preferred over a secret.", valueName: "file"), completion: .file())
    var clientCertificate: String?

    @Option(name: .customLong("client-key"), help: ArgumentHelp(
        "The certificate's RSA private key (PEM, unencrypted; a systemd credential is best).", valueName: "file"), completion: .file())
    var clientKey: String?

    @Option(name: .customLong("graph-cloud"), help: ArgumentHelp(
        "global, usgov, usgov-dod or china: the Graph and sign-in hosts of that cloud.", valueName: "global|usgov|usgov-dod|china"),
            completion: .list(GraphCloud.allCases.map(\.rawValue)))
    var graphCloud: String = GraphCloud.global.rawValue

    @Option(name: .customLong("graph-url"), help: ArgumentHelp(
        "Send Graph requests to this https:// root instead of the cloud's (a gateway, a test emulator).", valueName: "url"))
    var graphURL: String?

    @Option(name: .customLong("login-url"), help: ArgumentHelp(
        "Ask for tokens at this https:// root instead of the cloud's sign-in host.", valueName: "url"))
    var loginURL: String?

    @Option(name: .customLong("graph-ca-file"), help: ArgumentHelp(
        "An extra trusted CA (PEM) for Graph and the sign-in host, e.g. a TLS-inspecting proxy's.", valueName: "file"), completion: .file())
    var graphCAFile: String?

    @Option(name: .customLong("max-retry-wait"), help: ArgumentHelp(
        "The most time a run waits in all between retries when Graph throttles or fails (429, 503).", valueName: "duration"))
    var maxRetryWait: String = "5m"

    func validate() throws {
        if GraphCloud(rawValue: graphCloud) == nil {
            throw ValidationError("--graph-cloud \(graphCloud): use one of " + GraphCloud.allCases.map(\.rawValue).joined(separator: ", "))
        }
        if Duration.parse(maxRetryWait) == nil {
            throw ValidationError(Duration.problem("--max-retry-wait", maxRetryWait, examples: "90s or 5m"))
        }
    }

    /// Everything `GraphSession` needs, with the credential read and checked.
    func settings(timeout: TimeInterval, warnings: Warnings,
                  environment: [String: String] = ProcessInfo.processInfo.environment) throws(Failure) -> GraphSettings {
        guard let tenantId, let clientId else {
            throw .usage("reading Microsoft Graph needs --tenant-id and --client-id (the app registration's), and --client-certificate with --client-key, or --client-secret-file")
        }
        let credential: ClientCredential
        do {
            switch (clientCertificate, clientKey, clientSecretFile) {
            case (.some, .some, .some):
                throw Failure.usage("give either --client-certificate with --client-key or --client-secret-file, not both")
            case (.some(let certificate), .some(let key), nil):
                SecretFile.warnIfReadable(key, option: "--client-key", warnings: warnings)
                let loaded = try ClientCertificate(certificateFile: certificate, keyFile: key)
                let left = loaded.notValidAfter.timeIntervalSinceNow
                if left <= 0 {
                    throw Failure.usage("--client-certificate \(certificate) expired on \(Timestamp.format(loaded.notValidAfter)): Entra ID refuses it. Make a new certificate, upload it to the app registration, and give it with its key")
                }
                if left < 30 * 86_400 {
                    warnings.add(.clientCertificateExpiring, "--client-certificate \(certificate) (thumbprint \(loaded.thumbprintSHA1)) expires on \(Timestamp.format(loaded.notValidAfter)), in \(HumanDuration.format(left)): make a new one and upload it to the app registration before then")
                }
                credential = .certificate(loaded)
            case (.some, nil, _), (nil, .some, _):
                throw Failure.usage("--client-certificate and --client-key go together: the certificate registered on the app and its private key")
            case (nil, nil, .some(let file)):
                credential = .secret(try SecretFile.read(file, option: "--client-secret-file", what: "the client secret's Value", warnings: warnings))
            case (nil, nil, nil):
                guard let secret = environment["PHS_CHECK_CLIENT_SECRET"], !secret.isEmpty else {
                    throw Failure.usage("say how the app signs in: --client-certificate FILE with --client-key FILE, or --client-secret-file FILE (or PHS_CHECK_CLIENT_SECRET)")
                }
                credential = .secret(secret)
            }
            return GraphSettings(tenantId: tenantId, clientId: clientId, credential: credential,
                                 endpoints: try GraphEndpoints(cloud: GraphCloud(rawValue: graphCloud) ?? .global, graphURL: graphURL, loginURL: loginURL),
                                 timeout: timeout, caFile: graphCAFile,
                                 retryBudget: Duration.parse(maxRetryWait)?.seconds ?? GraphSettings.defaultRetryBudget,
                                 environment: environment)
        } catch let failure as Failure {
            throw failure
        } catch let error as GraphError {
            throw Failure(graph: error)
        } catch {
            throw .usage("\(error)")
        }
    }
}

extension Failure {
    /// A Graph failure with its exit code: 2 for what the admin gave or Graph's data, 3 for a
    /// refused credential or permission, the network or Graph's refusals.
    init(graph error: GraphError) {
        switch error.kind {
        case .configuration, .badResponse: self = .usage(error.message)
        case .credentialRefused, .forbidden, .network, .refused: self = .directory(error.message)
        }
    }
}
