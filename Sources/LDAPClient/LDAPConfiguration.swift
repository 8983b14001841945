/// How to reach and authenticate to a directory. See `LDAPConnection.connect(_:logger:)`.
public struct LDAPConfiguration: Sendable {
    /// `ldap://` or `ldaps://` URLs, tried in order until one answers.
    public var urls: [String]
    /// Upgrade `ldap://` connections with StartTLS (`ldap_start_tls_s(3)`) before binding.
    /// Ignored for `ldaps://`.
    public var startTLS: Bool
    /// A PEM file of CA certificates that sign the server's certificate
    /// (`LDAP_OPT_X_TLS_CACERTFILE`). Nil: libldap's default (ldap.conf `TLS_CACERT`).
    public var caFile: String?
    /// Do not verify the server's certificate (`LDAP_OPT_X_TLS_REQUIRE_CERT` = `NEVER`).
    /// Only when the user asked for it; the caller is responsible for a loud warning.
    public var skipTLSVerify: Bool
    /// Limit for connecting to each URL: the TCP connect (`LDAP_OPT_NETWORK_TIMEOUT`), the
    /// StartTLS request and the TLS handshake together, counted once from the start of the
    /// attempt. Zero or less: no limit for the TCP connect, 30 seconds for the rest.
    public var networkTimeout: Duration
    /// Limit for each synchronous operation (StartTLS, bind) and for each page of a search
    /// (`LDAP_OPT_TIMEOUT`, and the search's time limit). Zero or less: no limit.
    public var operationTimeout: Duration
    public var bind: LDAPBind
    /// The largest LDAP message accepted from the server, in bytes (liblber's
    /// `LBER_SB_OPT_SET_MAX_INCOMING`); a longer one fails with `LDAPError.Kind.messageTooLarge`
    /// before it is allocated. 0: no limit. The default, 16 MiB, is well above what a directory
    /// sends in one entry (AD's own MaxReceiveBuffer, for what it accepts, is 10 MB).
    public var maxMessageSize: Int

    /// The default `maxMessageSize`: 16 MiB.
    public static let defaultMaxMessageSize = 16 << 20

    public init(
        urls: [String],
        startTLS: Bool = false,
        caFile: String? = nil,
        skipTLSVerify: Bool = false,
        networkTimeout: Duration = .seconds(10),
        operationTimeout: Duration = .seconds(120),
        bind: LDAPBind = .anonymous,
        maxMessageSize: Int = LDAPConfiguration.defaultMaxMessageSize
    ) {
        self.urls = urls
        self.startTLS = startTLS
        self.caFile = caFile
        self.skipTLSVerify = skipTLSVerify
        self.networkTimeout = networkTimeout
        self.operationTimeout = operationTimeout
        self.bind = bind
        self.maxMessageSize = maxMessageSize
    }
}

/// How to authenticate after connecting.
public enum LDAPBind: Sendable {
    /// No bind: LDAPv3 anonymous access (enough for the RootDSE).
    case anonymous
    /// A simple bind (`ldap_sasl_bind_s(3)` with `LDAP_SASL_SIMPLE`). `dn` is a DN, or for
    /// Active Directory also `user@domain` or `DOMAIN\user`. Needs TLS against hardened servers.
    case simple(dn: String, password: LDAPSecret)
    /// SASL GSSAPI (`ldap_sasl_interactive_bind_s(3)`) with the caller's Kerberos ticket cache
    /// (`KRB5CCNAME`). On a connection without TLS the session is signed and sealed. The
    /// service principal is `ldap/HOST` with HOST exactly as in the URL (no reverse DNS,
    /// `LDAP_OPT_X_SASL_NOCANON`): use the DC's DNS name, not an IP address.
    case gssapi
}

/// A password. It never prints: `description`, `debugDescription` and reflection all show
/// `<redacted>`; the value is only read when it is handed to libldap.
public struct LDAPSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) {
        self.value = value
    }

    public var isEmpty: Bool { value.isEmpty }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// The secret's UTF-8 bytes, for the duration of `body` only. The buffer is zeroed
    /// afterwards; do not let the pointer escape.
    func withUTF8Bytes<R>(_ body: (UnsafeMutableBufferPointer<UInt8>) throws -> R) rethrows -> R {
        var bytes = Array(value.utf8)
        defer {
            for index in bytes.indices { bytes[index] = 0 }
        }
        return try bytes.withUnsafeMutableBufferPointer { try body($0) }
    }
}

/// The scope of a search (`LDAP_SCOPE_BASE`, `LDAP_SCOPE_ONELEVEL`, `LDAP_SCOPE_SUBTREE`).
public enum LDAPScope: Sendable, Hashable {
    case base, oneLevel, subtree
}
