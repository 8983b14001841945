/// A failed LDAP operation: libldap's result code and text, the server's diagnostic message,
/// what was being done and against which URL.
///
/// It never holds a password: binds record the bind DN at most. `description` is one readable
/// sentence (with a hint when there is a likely fix); `debugDescription` lists every field.
public struct LDAPError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, coarsely, for callers that map errors to advice or exit codes.
    public enum Kind: Sendable, Hashable {
        /// No TCP connection to the server (down, wrong host or port, firewall), or the
        /// connection was lost.
        case serverUnreachable
        /// A TCP connection works but the TLS handshake fails (LDAPS or StartTLS): the
        /// certificate's issuer is not trusted (give the CA file), or it was issued for
        /// another name (connect by the DC's DNS name, not its IP address).
        /// libldap reports this as `serverDown` (-1), like a server that is down.
        case tlsHandshakeFailed
        /// The server refused the bind (wrong credentials, stronger authentication or
        /// encryption required, no Kerberos ticket, ...).
        case bindRefused
        /// The operation or the connection attempt took longer than allowed.
        case timeout
        /// The request was malformed before it reached the server (URL, filter, CA file, ...).
        case invalidArgument
        /// Any other failure of an operation.
        case operationFailed
    }

    public let kind: Kind
    /// The LDAP result code (or libldap's negative client code).
    public let code: LDAPResultCode
    /// What was being done: "connect", "start TLS", "bind", "search", ...
    public let operation: String
    /// libldap's text for `code` (`ldap_err2string(3)`), or a sentence of our own for
    /// failures found before calling libldap.
    public let message: String
    /// The server's (or libldap's) diagnostic message (`LDAP_OPT_DIAGNOSTIC_MESSAGE`, or the
    /// result's error message), when there was one.
    public let diagnosticMessage: String?
    /// The URL the operation was sent to.
    public let url: String?
    /// For binds: the DN or user name bound as. Never the password.
    public let bindDN: String?

    public init(
        kind: Kind,
        code: LDAPResultCode,
        operation: String,
        message: String,
        diagnosticMessage: String? = nil,
        url: String? = nil,
        bindDN: String? = nil,
        hint: String? = nil
    ) {
        self.kind = kind
        self.code = code
        self.operation = operation
        self.message = message
        // GnuTLS's text for a failed handshake is "(unknown error code)": no information.
        self.diagnosticMessage = diagnosticMessage.flatMap {
            $0.isEmpty || $0 == "(unknown error code)" ? nil : $0
        }
        self.url = url
        self.bindDN = bindDN
        self.hint = hint ?? Self.defaultHint(kind: kind, code: code)
    }

    /// What usually fixes this failure, in library terms (no command-line options), or nil.
    public let hint: String?

    private static func defaultHint(kind: Kind, code: LDAPResultCode) -> String? {
        switch kind {
        case .tlsHandshakeFailed:
            return "The server accepts TCP connections but the TLS handshake failed: either its "
                + "certificate is not signed by a trusted CA (give the CA certificate file) or it "
                + "was issued for another name (connect by the server's DNS name as it appears in "
                + "the certificate, not by IP address)."
        case .serverUnreachable:
            return "Check the host name, the port and that the server is running and reachable."
        case .timeout:
            return "The server did not answer in time; raise the timeout or check the network."
        case .bindRefused:
            switch code {
            case .strongAuthRequired, .confidentialityRequired:
                return "The server refuses this bind on an unencrypted connection: use ldaps://, "
                    + "StartTLS, or SASL GSSAPI (Kerberos)."
            case .invalidCredentials:
                return "Check the bind DN (or user@domain) and the password; the account may also "
                    + "be locked, disabled or expired."
            case .inappropriateAuthentication:
                return "The server does not allow this kind of bind for this account."
            case .localError, .authUnknown:
                return "SASL GSSAPI needs a valid Kerberos ticket (kinit), the SASL GSSAPI module, "
                    + "and the server's DNS name in the URL."
            default:
                return nil
            }
        case .invalidArgument:
            if code == .filterError { return "Check the search filter's syntax (RFC 4515)." }
            return nil
        case .operationFailed:
            switch code {
            case .sizeLimitExceeded:
                return "The server limits the number of entries per search: use a paged search."
            case .referral:
                return "The search base is not held by this server."
            case .noSuchObject:
                return "Check the search base DN."
            default:
                return nil
            }
        }
    }

    public var description: String {
        var text = "LDAP \(operation)"
        if let bindDN, !bindDN.isEmpty { text += " as \(bindDN)" }
        if let url { text += " at \(url)" }
        text += " failed: \(message) (\(code.rawValue))"
        if let diagnosticMessage {
            text += "; diagnostic: \(diagnosticMessage.trimmingTrailingPunctuation)"
        }
        text += "."
        if let hint { text += " " + hint }
        return text
    }

    public var debugDescription: String {
        var fields = [
            "kind: .\(kind)",
            "code: \(code)",
            "operation: \(String(reflecting: operation))",
            "message: \(String(reflecting: message))",
        ]
        if let diagnosticMessage { fields.append("diagnosticMessage: \(String(reflecting: diagnosticMessage))") }
        if let url { fields.append("url: \(String(reflecting: url))") }
        if let bindDN { fields.append("bindDN: \(String(reflecting: bindDN))") }
        if let hint { fields.append("hint: \(String(reflecting: hint))") }
        return "LDAPError(\(fields.joined(separator: ", ")))"
    }
}

extension String {
    fileprivate var trimmingTrailingPunctuation: Substring {
        var text = self[...]
        while let last = text.last, last == "." || last == "\n" || last == " " || last == "\0" {
            text = text.dropLast()
        }
        return text
    }
}
