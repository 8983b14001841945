/// A failed LDAP operation: libldap's result code and text, the server's diagnostic message,
/// what was being done and against which URL.
///
/// It never holds a password: binds record the bind DN at most. `description` is one readable
/// sentence (with a hint when there is a likely fix); `debugDescription` lists every field.
public struct LDAPError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, coarsely, for callers that map errors to advice or exit codes.
    public enum Kind: Sendable, Hashable {
        /// No TCP connection to the server (down, wrong host or port, firewall).
        case serverUnreachable
        /// A TCP connection works but the TLS handshake fails (LDAPS or StartTLS). `tlsProblem`
        /// says why when it could be found out: the certificate's issuer is not trusted, it was
        /// issued for other names, it is out of date, or the port does not speak TLS.
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
        /// The connection was up and broke: the server closed it, went away or reset it during
        /// an operation. For a search, `entriesRead` says how far it got.
        case connectionLost
        /// The server sent an LDAP message longer than `LDAPConfiguration.maxMessageSize`
        /// (or a length no LDAP message has): most likely the port does not speak LDAP.
        case messageTooLarge
        /// The server ended a search early at one of its own limits: time (`timeLimitExceeded`,
        /// 3), size (`sizeLimitExceeded`, 4) or administrative (`adminLimitExceeded`, 11).
        /// `entriesRead` says how many entries had come.
        case serverLimitExceeded
        /// A paged search that does not advance: the server handed out the same page again
        /// (it ignores the cookie), or page after page without an entry. Following it would
        /// never end.
        case pagedSearchStalled
    }

    /// Why a TLS handshake failed, found out with a second handshake that does not verify the
    /// certificate (see `LDAPConnection.connect(_:logger:)`).
    public enum TLSProblem: Sendable, Hashable {
        /// The certificate names the host, but its chain does not lead to a trusted CA.
        /// `issuer` is the issuer's name as the certificate gives it.
        case untrustedCertificate(issuer: String?)
        /// The certificate was issued for other names than the host in the URL. `names` are the
        /// certificate's subjectAltName DNS names and addresses, and its subject CN.
        case nameMismatch(host: String, names: [String])
        /// The certificate names the host but is not valid now (expired, or not yet valid).
        case certificateNotValidNow(notBefore: String, notAfter: String)
        /// Even a handshake that verifies nothing fails: the port speaks plain LDAP, or
        /// something else than TLS.
        case notTLS
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
    /// For a search that failed part way (`connectionLost`, `serverLimitExceeded`,
    /// `pagedSearchStalled`, `messageTooLarge`): the entries delivered before it stopped.
    public let entriesRead: Int?
    /// For `tlsHandshakeFailed`: why, when it could be found out.
    public let tlsProblem: TLSProblem?
    /// When several URLs were tried and none answered: the failure of each, in the order tried
    /// (this error is one of them). Empty otherwise.
    public let attempts: [LDAPError]

    public init(
        kind: Kind,
        code: LDAPResultCode,
        operation: String,
        message: String,
        diagnosticMessage: String? = nil,
        url: String? = nil,
        bindDN: String? = nil,
        hint: String? = nil,
        entriesRead: Int? = nil,
        tlsProblem: TLSProblem? = nil,
        attempts: [LDAPError] = []
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
        self.entriesRead = entriesRead
        self.tlsProblem = tlsProblem
        self.attempts = attempts
        self.hint = hint ?? Self.defaultHint(kind: kind, code: code, tlsProblem: tlsProblem)
    }

    /// This error with the cause of a failed TLS handshake (and the hint that goes with it).
    func with(tlsProblem: TLSProblem?) -> LDAPError {
        LDAPError(kind: kind, code: code, operation: operation, message: message,
                  diagnosticMessage: diagnosticMessage, url: url, bindDN: bindDN, hint: nil,
                  entriesRead: entriesRead, tlsProblem: tlsProblem, attempts: attempts)
    }

    /// This error with the failures of every URL tried (see `attempts`).
    func with(attempts: [LDAPError]) -> LDAPError {
        LDAPError(kind: kind, code: code, operation: operation, message: message,
                  diagnosticMessage: diagnosticMessage, url: url, bindDN: bindDN, hint: hint,
                  entriesRead: entriesRead, tlsProblem: tlsProblem, attempts: attempts)
    }

    /// What usually fixes this failure, in library terms (no command-line options), or nil.
    public let hint: String?

    private static func defaultHint(kind: Kind, code: LDAPResultCode, tlsProblem: TLSProblem?) -> String? {
        switch kind {
        case .tlsHandshakeFailed:
            switch tlsProblem {
            case .untrustedCertificate(let issuer):
                return "The server's certificate names it, but is not signed by a trusted CA"
                    + (issuer.map { " (issuer: \($0))" } ?? "")
                    + ": give the file of the CA that issued it."
            case .nameMismatch(let host, let names):
                return "The server's certificate was issued for "
                    + (names.isEmpty ? "no name" : names.joined(separator: ", "))
                    + ", not for \(host): connect by one of those names."
            case .certificateNotValidNow(let notBefore, let notAfter):
                return "The server's certificate is valid from \(notBefore) to \(notAfter), not now: "
                    + "the server needs a current certificate (or this machine's clock is wrong)."
            case .notTLS:
                return "The port does not speak TLS (not even without verifying the certificate): it "
                    + "speaks plain LDAP or something else. Use ldap:// with StartTLS there, or the "
                    + "LDAPS port (636)."
            case nil:
                return "The server accepts TCP connections but the TLS handshake failed: either its "
                    + "certificate is not signed by a trusted CA (give the CA certificate file) or it "
                    + "was issued for another name (connect by the server's DNS name as it appears in "
                    + "the certificate, not by IP address)."
            }
        case .serverUnreachable:
            return "Check the host name, the port and that the server is running and reachable."
        case .timeout:
            return "The server did not answer in time; raise the timeout or check the network."
        case .connectionLost:
            return "The server closed or reset the connection: check that it is still running, "
                + "its logs, and idle or connection limits on the way (load balancers, firewalls)."
        case .messageTooLarge:
            return "Check that the URL points at an LDAP server (host and port)."
        case .serverLimitExceeded:
            switch code {
            case .timeLimitExceeded:
                return "The time limit is the smaller of the one sent with each page (the operation "
                    + "timeout) and the server's own (AD: MaxQueryDuration, slapd: timelimit): raise "
                    + "them, or ask for smaller pages."
            case .sizeLimitExceeded:
                return "The server limits the entries one search returns even when paged (AD: "
                    + "MaxResultSetSize and MaxPageSize; slapd: sizelimit size.prtotal and size.pr): "
                    + "raise the limit for this account, or ask for smaller pages."
            default:
                return "An administrative limit of the server (AD: MaxResultSetSize, "
                    + "MaxTempTableSize; slapd: sizelimit size.unchecked) stopped the search: raise "
                    + "it for this account, search a smaller subtree, or ask for smaller pages."
            }
        case .pagedSearchStalled:
            return "The server's paged results do not advance; this is a server fault. Try another "
                + "server, or search smaller subtrees."
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
        if attempts.count > 1 {
            text += " Every URL failed: "
            text += attempts.map { attempt in
                var line = "\(attempt.url ?? "?"): \(attempt.operation): \(attempt.message)"
                if let diagnostic = attempt.diagnosticMessage { line += " (\(diagnostic.trimmingTrailingPunctuation))" }
                return line
            }.joined(separator: "; ")
            text += "."
        }
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
        if let entriesRead { fields.append("entriesRead: \(entriesRead)") }
        if let tlsProblem { fields.append("tlsProblem: \(tlsProblem)") }
        if !attempts.isEmpty { fields.append("attempts: \(attempts.map(\.debugDescription))") }
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
