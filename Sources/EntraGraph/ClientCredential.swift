public import Foundation
import Crypto
import _CryptoExtras
import SwiftASN1
import SyncAudit
import X509

/// How the app proves itself to Microsoft Entra ID (OAuth 2.0 client credentials).
public enum ClientCredential: Sendable {
    /// A client secret (from a file or `PHS_CHECK_CLIENT_SECRET`, never from an option).
    case secret(String)
    /// A certificate registered on the app, and its private key: each token request carries a
    /// client assertion signed with the key.
    case certificate(ClientCertificate)

    /// Text that must never appear in what phs-check prints (the secret itself).
    var secretText: String? {
        if case .secret(let s) = self { return s }
        return nil
    }
}

/// The app's certificate and private key, read and checked once.
///
/// The client assertion follows "Microsoft identity platform application authentication
/// certificate credentials" (https://learn.microsoft.com/entra/identity-platform/certificate-credentials):
/// header `alg` PS256, `typ` JWT, `x5t#S256` the base64url SHA-256 of the certificate's DER;
/// claims `aud` the token endpoint, `iss` = `sub` the client ID, `jti` a new GUID, `nbf`,
/// `iat`, and `exp` at most 10 minutes after `nbf`.
public struct ClientCertificate: Sendable {
    private let key: _RSA.Signing.PrivateKey
    /// base64url SHA-256 of the certificate's DER (`x5t#S256`).
    public let thumbprintSHA256: String
    /// Hex SHA-1 thumbprint: what the Entra admin center shows under Certificates & secrets.
    public let thumbprintSHA1: String
    /// When the certificate stops being valid (an expired one is refused, one near it warned about).
    public let notValidAfter: Date

    /// How long an assertion is valid (Entra ID: "5-10 minutes after nbf at most").
    static let assertionLifetime: TimeInterval = 300

    /// Reads the PEM certificate and the PEM private key (PKCS#8 or PKCS#1, not encrypted) and
    /// checks that the key is the certificate's. Errors name the file and never print the key.
    public init(certificateFile: String, keyFile: String) throws(GraphError) {
        let certificatePEM = try Self.readText(certificateFile, option: "--client-certificate", limit: 1 << 20)
        let keyPEM = try Self.readText(keyFile, option: "--client-key", limit: 1 << 20)
        let der: [UInt8]
        let certificate: Certificate
        do {
            let document = try PEMDocument(pemString: Self.firstBlock(certificatePEM, label: "CERTIFICATE") ?? certificatePEM)
            guard document.discriminator == "CERTIFICATE" else {
                throw GraphError(.configuration, "--client-certificate \(certificateFile) holds a \(document.discriminator), not a CERTIFICATE: give the certificate registered on the app (PEM)")
            }
            der = document.derBytes
            certificate = try Certificate(derEncoded: der)
        } catch let error as GraphError {
            throw error
        } catch {
            throw GraphError(.configuration, "--client-certificate \(certificateFile) is not a PEM certificate (\(error)); give the certificate registered on the app, e.g. openssl x509 -in cert.cer -inform der -out cert.pem")
        }
        if keyPEM.contains("ENCRYPTED PRIVATE KEY") || keyPEM.contains("Proc-Type: 4,ENCRYPTED") {
            throw GraphError(.configuration, "--client-key \(keyFile) is encrypted with a passphrase: phs-check reads an unencrypted key; keep it in a file only its user can read, or in a systemd credential (LoadCredential=)")
        }
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: keyPEM)
        } catch {
            throw GraphError(.configuration, "--client-key \(keyFile) is not an RSA private key in PEM (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY): Entra ID signs client assertions with RSA keys only")
        }
        guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
            throw GraphError(.configuration, "--client-key \(keyFile) is not the private key of the certificate in --client-certificate \(certificateFile): give the key the certificate was made with")
        }
        thumbprintSHA256 = Base64URL.encode(SHA256.hash(data: der))
        thumbprintSHA1 = Insecure.SHA1.hash(data: der).map { String(format: "%02X", $0) }.joined()
        notValidAfter = certificate.notValidAfter
    }

    /// A new client assertion for `clientId` at the token endpoint `audience`.
    func assertion(clientId: String, audience: String, now: Date = Date()) throws(GraphError) -> String {
        var header = JSONObjectWriter()
        header.add("alg", "PS256")
        header.add("typ", "JWT")
        header.add("x5t#S256", thumbprintSHA256)
        let issued = Int(now.timeIntervalSince1970)
        var claims = JSONObjectWriter()
        claims.add("aud", audience)
        claims.add("iss", clientId)
        claims.add("sub", clientId)
        claims.add("jti", UUID().uuidString.lowercased())
        claims.add("nbf", issued)
        claims.add("iat", issued)
        claims.add("exp", issued + Int(Self.assertionLifetime))
        let signingInput = Base64URL.encode(Array(header.finish().utf8)) + "." + Base64URL.encode(Array(claims.finish().utf8))
        do {
            let signature = try key.signature(for: SHA256.hash(data: Array(signingInput.utf8)), padding: .PSS)
            return signingInput + "." + Base64URL.encode(signature.rawRepresentation)
        } catch {
            throw GraphError(.configuration, "signing the client assertion failed: \(error)")
        }
    }

    /// The first `-----BEGIN label-----` block of a PEM file that may hold several (a chain).
    private static func firstBlock(_ text: String, label: String) -> String? {
        guard let begin = text.range(of: "-----BEGIN \(label)-----"),
              let end = text.range(of: "-----END \(label)-----", range: begin.upperBound..<text.endIndex)
        else { return nil }
        return String(text[begin.lowerBound..<end.upperBound])
    }

    /// A small text file (a PEM, a secret), at most `limit` bytes, so that a wrong path
    /// (/dev/zero) cannot fill memory.
    static func readText(_ path: String, option: String, limit: Int) throws(GraphError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.read(upToCount: limit + 1) ?? Data() else {
            throw GraphError(.configuration, "\(option) \(path): cannot read it; check the path and its permissions")
        }
        try? handle.close()
        guard data.count <= limit else {
            throw GraphError(.configuration, "\(option) \(path) is larger than \(limit / 1024) KiB: that is not the file phs-check needs there; check the path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw GraphError(.configuration, "\(option) \(path): not UTF-8 text")
        }
        return text
    }
}

/// base64url without padding (RFC 7515 section 2).
enum Base64URL {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of `text`; nil when it is not base64url.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map(Array.init)
    }
}

