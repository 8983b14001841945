internal import CLDAP
public import Foundation
public import Logging

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// One connection to an LDAP server, bound as `LDAPConfiguration.bind` asked.
///
/// Owns a libldap `LDAP *` handle and releases it with `ldap_unbind_ext_s(3)` in `deinit`.
/// libldap handles must not be used from two threads at once, so this class is not
/// `Sendable`: keep it in one task (or actor) and make the blocking calls from there.
///
/// libldap and GnuTLS write to the socket without `MSG_NOSIGNAL` (GnuTLS even sends a
/// close_notify when libldap closes a connection the server reset): a process using this class
/// should ignore SIGPIPE, as phs-check does. A write to a closed connection is then `EPIPE`,
/// which surfaces as `LDAPError.Kind.connectionLost`.
///
/// ```swift
/// let connection = try LDAPConnection.connect(configuration, logger: logger)
/// try connection.search(base: baseDN, scope: .subtree, filter: "(objectClass=user)",
///                       attributes: ["sAMAccountName"], pageSize: 500) { entry in ... }
/// ```
public final class LDAPConnection {
    /// libldap's `LDAP *`. Internal, not private, for the search in LDAPSearch.swift.
    let handle: OpaquePointer
    /// The URL that answered (one of `LDAPConfiguration.urls`).
    public let url: String
    private let operationTimeout: Duration
    let logger: Logger
    /// The connection guard (deadline of a connection attempt, size of incoming messages);
    /// libldap keeps pointers to its connection callback and Sockbuf layer, so it is released
    /// only after the handle (stored properties go after `deinit`'s body).
    let connectionGuard: ConnectionGuard
    /// `LDAPConfiguration.maxMessageSize`, for messages.
    let maxMessageSize: Int
    /// Set once the connection broke (lost, or a message over the limit): libldap would open a
    /// new connection, unbound, for the next request; every later operation throws this instead.
    var broken: LDAPError?

    private init(handle: OpaquePointer, url: String, operationTimeout: Duration, logger: Logger,
                 connectionGuard: ConnectionGuard, maxMessageSize: Int) {
        self.handle = handle
        self.url = url
        self.operationTimeout = operationTimeout
        self.logger = logger
        self.connectionGuard = connectionGuard
        self.maxMessageSize = maxMessageSize
    }

    deinit {
        // ldap_unbind_ext_s(3): "frees the resources contained in the ld structure", whether
        // or not a connection was opened or a bind made; the handle is invalid afterwards.
        ldap_unbind_ext_s(handle, nil, nil)
    }

    /// The SASL security strength factor of the session (`LDAP_OPT_X_SASL_SSF`): above 0 when
    /// a SASL bind (GSSAPI) negotiated integrity or confidentiality; 0 for simple and
    /// anonymous binds and for SASL over TLS (where TLS protects the session).
    public var securityStrengthFactor: Int {
        // cyrus.c writes the SSF as a ber_len_t.
        var ssf: ber_len_t = 0
        guard ldap_get_option(handle, LDAP_OPT_X_SASL_SSF, &ssf) == LDAP_OPT_SUCCESS else { return 0 }
        return Int(clamping: ssf)
    }

    /// Whether the connection runs over TLS (LDAPS or StartTLS), per `ldap_tls_inplace(3)`.
    public var isTLS: Bool {
        ldap_tls_inplace(handle) != 0
    }

    /// The server's certificate (DER) of a TLS connection, from `LDAP_OPT_X_TLS_PEERCERT`
    /// (ldap_get_option(3); the copy libldap allocates is released with `ber_memfree`).
    public var peerCertificate: Data? {
        var der = berval()
        _ = ldap_get_option(handle, LDAP_OPT_X_TLS_PEERCERT, &der)
        guard let value = der.bv_val else { return nil }
        defer { ber_memfree(value) }
        return der.bv_len > 0 ? Data(bytes: value, count: Int(der.bv_len)) : nil
    }

    // MARK: - Connecting

    /// Connects to the first of `configuration.urls` that answers, starts TLS when asked,
    /// and binds.
    ///
    /// For each URL: `ldap_initialize(3)`, protocol version 3, referrals off, the network and
    /// operation timeouts, the connection guard (`LDAP_OPT_CONNECT_CB`: the deadline of the
    /// attempt and the size limit of incoming messages, see `ConnectionGuard`), the TLS
    /// settings (`LDAP_OPT_X_TLS_REQUIRE_CERT` = `DEMAND` unless `skipTLSVerify`,
    /// `LDAP_OPT_X_TLS_CACERTFILE`, then `LDAP_OPT_X_TLS_NEWCTX`), `ldap_connect`, for
    /// `startTLS` on `ldap://` the StartTLS request (`ldap_extended_operation_s(3)`) and
    /// handshake (`ldap_install_tls`), then the bind. Connecting, StartTLS and the handshake
    /// share one `networkTimeout`.
    ///
    /// When a TLS handshake fails, a second connection that verifies nothing finds out why
    /// (`LDAPError.tlsProblem`): if even that handshake fails the port does not speak TLS;
    /// otherwise the certificate (`LDAP_OPT_X_TLS_PEERCERT`) names other hosts, is out of
    /// date, or — naming the host — was issued by a CA that is not trusted.
    ///
    /// A URL that cannot be contacted (down, TLS handshake failure, timeout, connection lost,
    /// a message over the size limit) is logged and the next one tried; when none answers, the
    /// error of a failed TLS handshake is thrown if there was one (it is the actionable one),
    /// else the last URL's error, with every URL's failure in `attempts` when there were
    /// several. A bind the server refuses is thrown at once: the other servers hold the same
    /// accounts.
    public static func connect(_ configuration: LDAPConfiguration, logger: Logger) throws(LDAPError) -> LDAPConnection {
        guard !configuration.urls.isEmpty else {
            throw LDAPError(kind: .invalidArgument, code: .paramError, operation: "connect",
                            message: "No LDAP URL was given")
        }
        if let caFile = configuration.caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw LDAPError(kind: .invalidArgument, code: .paramError, operation: "connect",
                            message: "The CA file \(caFile) does not exist or cannot be read")
        }
        if case .simple(let dn, let password) = configuration.bind, password.isEmpty {
            // RFC 4513 5.1.2: a simple bind with a DN and an empty password is an
            // "unauthenticated bind", which many servers answer with success.
            throw LDAPError(kind: .invalidArgument, code: .paramError, operation: "bind",
                            message: "The password is empty; a simple bind without a password would "
                                + "be an unauthenticated (anonymous) bind",
                            bindDN: dn)
        }
        var failures: [LDAPError] = []
        for url in configuration.urls {
            do {
                return try open(url, configuration: configuration, logger: logger)
            } catch {
                switch error.kind {
                case .serverUnreachable, .tlsHandshakeFailed, .timeout, .connectionLost, .messageTooLarge:
                    logger.notice("LDAP server did not answer", metadata: [
                        "url": "\(url)", "error": "\(error)",
                    ])
                    failures.append(error)
                case .bindRefused, .invalidArgument, .operationFailed, .serverLimitExceeded, .pagedSearchStalled:
                    throw error
                }
            }
        }
        let chosen = failures.first { $0.kind == .tlsHandshakeFailed } ?? failures[failures.count - 1]
        throw failures.count > 1 ? chosen.with(attempts: failures) : chosen
    }

    private static func open(_ url: String, configuration: LDAPConfiguration, logger: Logger,
                             diagnoseTLS: Bool = true) throws(LDAPError) -> LDAPConnection {
        let target = try ServerAddress(url)
        logger.debug("LDAP connecting", metadata: ["url": "\(url)"])
        // One deadline for the TCP connect, StartTLS and the TLS handshake.
        let deadline = ContinuousClock.now + connectLimit(configuration.networkTimeout)

        var ld: OpaquePointer?
        // ldap_initialize(3) only parses the URL and allocates the handle; nothing is sent yet.
        let rc = ldap_initialize(&ld, url)
        guard rc == LDAP_SUCCESS, let ld else {
            if let ld { ldap_unbind_ext_s(ld, nil, nil) }
            throw LDAPError(kind: .invalidArgument, code: LDAPResultCode(rawValue: rc), operation: "connect",
                            message: "Not a usable LDAP URL (\(errorText(rc)))", url: url)
        }
        guard let connectionGuard = ConnectionGuard(maxIncoming: configuration.maxMessageSize) else {
            ldap_unbind_ext_s(ld, nil, nil)
            throw LDAPError(kind: .operationFailed, code: .noMemory, operation: "connect",
                            message: errorText(LDAPResultCode.noMemory.rawValue), url: url)
        }
        // From here on the connection object owns the handle: every throw below releases it.
        let connection = LDAPConnection(handle: ld, url: url, operationTimeout: configuration.operationTimeout,
                                        logger: logger, connectionGuard: connectionGuard,
                                        maxMessageSize: configuration.maxMessageSize)
        try connection.setOptions(configuration, tls: target.isLDAPS || configuration.startTLS)
        do {
            try connection.open(target, networkTimeout: configuration.networkTimeout, deadline: deadline)
            if configuration.startTLS {
                if target.isLDAPS {
                    logger.debug("LDAP StartTLS skipped: ldaps:// is TLS already", metadata: ["url": "\(url)"])
                } else {
                    try connection.startTLS(target, networkTimeout: configuration.networkTimeout, deadline: deadline)
                }
            }
        } catch where error.kind == .tlsHandshakeFailed && diagnoseTLS {
            throw error.with(tlsProblem: Self.tlsProblem(url, target: target, configuration: configuration,
                                                         deadline: deadline, logger: logger))
        }
        try connection.bind(configuration.bind)
        return connection
    }

    /// Why the TLS handshake with `url` failed: a second connection (TLS verifying nothing, no
    /// bind) and, when its handshake works, the certificate it got. Nil when that cannot be
    /// found out. See `connect(_:logger:)`.
    private static func tlsProblem(_ url: String, target: ServerAddress, configuration: LDAPConfiguration,
                                   deadline: ContinuousClock.Instant, logger: Logger) -> LDAPError.TLSProblem? {
        if configuration.skipTLSVerify {
            // Nothing was verified and the handshake still failed.
            return target.isLDAPS ? .notTLS : nil
        }
        var probe = configuration
        probe.skipTLSVerify = true
        probe.caFile = nil
        probe.bind = .anonymous
        // What is left of the attempt's time, but at least a second.
        let left = deadline - ContinuousClock.now
        probe.networkTimeout = max(left, min(.seconds(1), connectLimit(configuration.networkTimeout)))
        let connection: LDAPConnection
        do {
            connection = try open(url, configuration: probe, logger: logger, diagnoseTLS: false)
        } catch {
            logger.debug("LDAP TLS probe failed", metadata: ["url": "\(url)", "error": "\(error)"])
            // A handshake that verifies nothing fails too: no TLS on this port. (After a
            // StartTLS that the server accepted, the cause is more likely a protocol version
            // or cipher both sides do not share: not said.)
            return error.kind == .tlsHandshakeFailed && target.isLDAPS ? .notTLS : nil
        }
        guard let der = connection.peerCertificate, let certificate = TLSCertificate(der: der) else {
            return nil
        }
        logger.debug("LDAP TLS probe certificate", metadata: [
            "url": "\(url)", "names": "\(certificate.names)", "issuer": "\(certificate.issuer ?? "")",
        ])
        if !certificate.matches(host: target.host) {
            return .nameMismatch(host: target.host, names: certificate.names)
        }
        if let validity = certificate.validity, !validity.contains(Date()) {
            return .certificateNotValidNow(notBefore: certificate.notBeforeText ?? "?",
                                           notAfter: certificate.notAfterText ?? "?")
        }
        return .untrustedCertificate(issuer: certificate.issuer)
    }

    private func setOptions(_ configuration: LDAPConfiguration, tls: Bool) throws(LDAPError) {
        var version = LDAP_VERSION3
        try setOption(LDAP_OPT_PROTOCOL_VERSION, "protocol version 3", &version)
        // Referrals and continuation references are not chased: they point at other
        // naming contexts (and, for AD, other servers with other credentials).
        try check(cldap_set_bool_option(handle, LDAP_OPT_REFERRALS, 0), "referrals off")
        // Restart select(2) when a signal interrupts it instead of failing the operation.
        try check(cldap_set_bool_option(handle, LDAP_OPT_RESTART, 1), "restart on EINTR")
        // A timeout of zero or less means no limit: the option is left unset.
        if configuration.networkTimeout > .zero {
            var networkTimeout = timeval(configuration.networkTimeout)
            try setOption(LDAP_OPT_NETWORK_TIMEOUT, "network timeout", &networkTimeout)
        }
        if configuration.operationTimeout > .zero {
            var operationTimeout = timeval(configuration.operationTimeout)
            try setOption(LDAP_OPT_TIMEOUT, "operation timeout", &operationTimeout)
        }
        // Tells the connection guard (ConnectionGuard, shim.h) the socket once it is connected,
        // and limits the size of incoming messages on it.
        try check(ldap_set_option(handle, LDAP_OPT_CONNECT_CB, connectionGuard.connectCallback), "connection callback")

        guard tls else { return }
        var requireCert = configuration.skipTLSVerify ? LDAP_OPT_X_TLS_NEVER : LDAP_OPT_X_TLS_DEMAND
        try setOption(LDAP_OPT_X_TLS_REQUIRE_CERT, "TLS certificate verification", &requireCert)
        if let caFile = configuration.caFile {
            let rc = caFile.withCString { ldap_set_option(handle, LDAP_OPT_X_TLS_CACERTFILE, $0) }
            try check(rc, "TLS CA file")
        }
        // Per-handle TLS settings are read only when a TLS context is created: make a new
        // client context (0 = client) now that they are set.
        var client: Int32 = 0
        let rc = ldap_set_option(handle, LDAP_OPT_X_TLS_NEWCTX, &client)
        guard rc == LDAP_OPT_SUCCESS else {
            throw LDAPError(kind: .invalidArgument, code: .localError, operation: "set up TLS",
                            message: "libldap could not create a TLS context"
                                + (configuration.caFile.map { " with the CA file \($0)" } ?? ""),
                            diagnosticMessage: diagnosticMessage(), url: url)
        }
    }

    private func setOption<T>(_ option: Int32, _ what: String, _ value: inout T) throws(LDAPError) {
        let rc = withUnsafeMutablePointer(to: &value) { ldap_set_option(handle, option, $0) }
        try check(rc, what)
    }

    private func check(_ rc: Int32, _ what: String) throws(LDAPError) {
        guard rc == LDAP_OPT_SUCCESS else {
            throw LDAPError(kind: .invalidArgument, code: .localError, operation: "set option",
                            message: "libldap refused the option: \(what)", url: url)
        }
    }

    /// Opens the TCP (and for LDAPS the TLS) connection with `ldap_connect`, so that a server
    /// that cannot be reached is told apart from a bind that fails. The connection guard ends
    /// the attempt at `deadline`.
    private func open(_ target: ServerAddress, networkTimeout: Duration, deadline: ContinuousClock.Instant) throws(LDAPError) {
        let (rc, timedOut) = connectionGuard.run(socket: -1, deadline: deadline) { ldap_connect(handle) }
        guard rc == LDAP_SUCCESS else {
            let diagnostic = diagnosticMessage()
            if timedOut || rc == LDAPResultCode.timeout.rawValue {
                // The TCP connect or (LDAPS) the TLS handshake did not end in time.
                throw LDAPError(kind: .timeout, code: .timeout, operation: target.isLDAPS ? "TLS handshake" : "connect",
                                message: target.isLDAPS
                                    ? "No connection with a completed TLS handshake within \(Self.connectLimit(networkTimeout))"
                                    : "No connection within \(Self.connectLimit(networkTimeout))",
                                url: url)
            }
            let kind: LDAPError.Kind
            if target.isLDAPS,
                TCPProbe.canConnect(host: target.host, port: target.port, timeout: max(.seconds(1), deadline - .now))
            {
                // libldap says LDAP_SERVER_DOWN for both; the port answers, so TLS failed.
                kind = .tlsHandshakeFailed
            } else {
                kind = .serverUnreachable
            }
            throw LDAPError(kind: kind, code: LDAPResultCode(rawValue: rc),
                            operation: kind == .tlsHandshakeFailed ? "TLS handshake" : "connect",
                            message: Self.errorText(rc), diagnosticMessage: diagnostic, url: url)
        }
        logger.debug("LDAP connected", metadata: ["url": "\(url)", "tls": "\(isTLS)"])
    }

    /// The bound for a connection attempt (TCP connect, StartTLS, TLS handshake) and the TCP
    /// probe after a failed one: the network timeout, or 30 seconds when there is none.
    private static func connectLimit(_ networkTimeout: Duration) -> Duration {
        networkTimeout > .zero ? networkTimeout : .seconds(30)
    }

    /// StartTLS: the extended operation (`ldap_extended_operation_s(3)` with
    /// `LDAP_EXOP_START_TLS`), then the TLS handshake (`ldap_install_tls`) — the two halves of
    /// `ldap_start_tls_s(3)`, so that a server that refuses or drops the request is told apart
    /// from a failed handshake. Both end at `deadline` (the connection guard).
    private func startTLS(_ target: ServerAddress, networkTimeout: Duration, deadline: ContinuousClock.Instant) throws(LDAPError) {
        var socket: Int32 = -1
        _ = ldap_get_option(handle, LDAP_OPT_DESC, &socket)
        let timeoutError = LDAPError(kind: .timeout, code: .timeout, operation: "start TLS",
                                     message: "The server did not complete StartTLS (request and TLS handshake) "
                                         + "within \(Self.connectLimit(networkTimeout))",
                                     url: url)
        let (rc, requestTimedOut) = connectionGuard.run(socket: socket, deadline: deadline) { () -> Int32 in
            var oid: UnsafeMutablePointer<CChar>?
            var data: UnsafeMutablePointer<berval>?
            let rc = ldap_extended_operation_s(handle, cldap_exop_start_tls(), nil, nil, nil, &oid, &data)
            // The response's OID and value, when there are any, are the caller's to free.
            if let oid { ldap_memfree(oid) }
            if let data { ber_bvfree(data) }
            return rc
        }
        guard rc == LDAP_SUCCESS else {
            // The guard shuts the socket down at the deadline: a timeout, not a lost connection.
            if requestTimedOut || rc == LDAPResultCode.timeout.rawValue { throw timeoutError }
            if let error = brokenConnectionError(rc, operation: "start TLS") { throw error }
            // The server refused the extended operation (no certificate, not supported).
            throw LDAPError(kind: .operationFailed, code: LDAPResultCode(rawValue: rc), operation: "start TLS",
                            message: Self.errorText(rc), diagnosticMessage: diagnosticMessage(), url: url)
        }
        let (handshake, handshakeTimedOut) = connectionGuard.run(socket: socket, deadline: deadline) {
            ldap_install_tls(handle)
        }
        guard handshake == LDAP_SUCCESS else {
            if handshakeTimedOut || handshake == LDAPResultCode.timeout.rawValue { throw timeoutError }
            throw LDAPError(kind: .tlsHandshakeFailed, code: LDAPResultCode(rawValue: handshake), operation: "start TLS",
                            message: Self.errorText(handshake), diagnosticMessage: diagnosticMessage(), url: url)
        }
        logger.debug("LDAP StartTLS done", metadata: ["url": "\(url)"])
    }

    // MARK: - Binding

    private func bind(_ bind: LDAPBind) throws(LDAPError) {
        switch bind {
        case .anonymous:
            // LDAPv3 needs no bind request for anonymous access.
            logger.debug("LDAP anonymous", metadata: ["url": "\(url)"])

        case .simple(let dn, let password):
            // An empty password was refused in connect(_:logger:).
            // ldap_sasl_bind_s(3) with mechanism LDAP_SASL_SIMPLE (NULL) and the password as
            // the credentials berval; the bytes are zeroed after the call.
            let rc = password.withUTF8Bytes { bytes in
                var credentials = berval(
                    bv_len: ber_len_t(bytes.count),
                    bv_val: UnsafeMutableRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self))
                return ldap_sasl_bind_s(handle, dn, nil, &credentials, nil, nil, nil)
            }
            guard rc == LDAP_SUCCESS else {
                throw bindError(rc, operation: "bind", bindDN: dn)
            }
            logger.debug("LDAP simple bind done", metadata: ["url": "\(url)", "dn": "\(dn)"])

        case .gssapi:
            // Use the host name of the URL for the service principal (ldap/HOST@REALM) as it
            // is, without reverse DNS: 127.0.0.1 or a NATed address would canonicalise to a
            // name the KDC does not know. Put the DC's DNS name in the URL.
            try check(cldap_set_bool_option(handle, LDAP_OPT_X_SASL_NOCANON, 1), "SASL no host canonicalisation")
            // Without TLS, insist on a sealed session (confidentiality, SSF >= 56). Over TLS,
            // ask for no SASL layer (maxssf=0): AD refuses signing or sealing on top of TLS
            // (00002029), and so does Samba ("Sign or Seal are not allowed if TLS is used").
            let overTLS = isTLS
            let rc = try gssapiBind(secprops: overTLS ? "maxssf=0" : "minssf=56")
            if rc == LDAPResultCode.strongAuthRequired.rawValue, overTLS {
                // Samba with "ldap server require strong auth = yes" (its default) wants a
                // SASL layer and forbids one over TLS: GSSAPI works only without TLS there.
                throw bindError(rc, operation: "SASL GSSAPI bind", bindDN: nil, hint:
                    "This server requires SASL signing and sealing, which it does not allow over TLS: "
                    + "bind with GSSAPI on ldap:// without StartTLS (Kerberos seals the session), or "
                    + "let the server accept SASL over TLS (Samba: ldap server require strong auth = "
                    + "allow_sasl_over_tls).")
            }
            guard rc == LDAP_SUCCESS else {
                throw bindError(rc, operation: "SASL GSSAPI bind", bindDN: nil)
            }
            logger.debug("LDAP SASL GSSAPI bind done", metadata: [
                "url": "\(url)", "ssf": "\(securityStrengthFactor)", "tls": "\(isTLS)",
            ])
        }
    }

    /// Sets `LDAP_OPT_X_SASL_SECPROPS` and binds with `cldap_sasl_gssapi_bind` (shim.h:
    /// `ldap_sasl_interactive_bind_s(3)`, mechanism GSSAPI, defaults accepted).
    private func gssapiBind(secprops: String) throws(LDAPError) -> Int32 {
        let rc = secprops.withCString { ldap_set_option(handle, LDAP_OPT_X_SASL_SECPROPS, $0) }
        try check(rc, "SASL security properties \(secprops)")
        return cldap_sasl_gssapi_bind(handle)
    }

    private func bindError(_ rc: Int32, operation: String, bindDN: String?, hint: String? = nil) -> LDAPError {
        if let error = brokenConnectionError(rc, operation: operation) { return error }
        let code = LDAPResultCode(rawValue: rc)
        let kind: LDAPError.Kind = switch code {
        case .timeout: .timeout
        case .paramError: .invalidArgument
        default: .bindRefused
        }
        return LDAPError(kind: kind, code: code, operation: operation, message: Self.errorText(rc),
                         diagnosticMessage: diagnosticMessage(), url: url, bindDN: bindDN, hint: hint)
    }

    // MARK: - Other operations

    /// Reads one entry (a base search without paging), or nil when `dn` does not exist.
    /// `read("", attributes: [...])` reads the RootDSE.
    public func read(_ dn: String, attributes: [String]) throws -> LDAPEntry? {
        var found: LDAPEntry?
        do {
            try search(base: dn, scope: .base, filter: "(objectClass=*)", attributes: attributes,
                       pageSize: nil) { found = $0 }
        } catch let error as LDAPError where error.code == .noSuchObject {
            return nil
        }
        return found
    }

    // MARK: - Errors

    static func errorText(_ rc: Int32) -> String {
        // ldap_err2string(3) returns a static string: nothing to free.
        guard let text = ldap_err2string(rc) else { return "LDAP error \(rc)" }
        return String(cString: text)
    }

    /// `LDAP_OPT_DIAGNOSTIC_MESSAGE` of the handle (the last operation's text), released with
    /// `ldap_memfree(3)` as ldap_get_option(3) says.
    func diagnosticMessage() -> String? {
        var pointer: UnsafeMutablePointer<CChar>?
        guard ldap_get_option(handle, LDAP_OPT_DIAGNOSTIC_MESSAGE, &pointer) == LDAP_OPT_SUCCESS,
            let pointer
        else { return nil }
        defer { ldap_memfree(pointer) }
        let text = String(cString: pointer)
        return text.isEmpty ? nil : text
    }

    /// The handle's last result code (`LDAP_OPT_RESULT_CODE`), after a call returned -1.
    func lastResultCode() -> Int32 {
        var rc: Int32 = LDAPResultCode.other.rawValue
        _ = ldap_get_option(handle, LDAP_OPT_RESULT_CODE, &rc)
        return rc
    }

    /// The error of an operation that failed with `rc` (a libldap code, or the result code the
    /// server sent). `entriesRead`: for a search, the entries delivered so far.
    func operationError(_ rc: Int32, operation: String, diagnostic: String? = nil, entriesRead: Int? = nil) -> LDAPError {
        if let error = brokenConnectionError(rc, operation: operation, entriesRead: entriesRead) { return error }
        let code = LDAPResultCode(rawValue: rc)
        let diagnostic = diagnostic ?? diagnosticMessage()
        switch code {
        case .timeLimitExceeded, .sizeLimitExceeded, .adminLimitExceeded:
            let limit = code == .timeLimitExceeded ? "time limit" : code == .sizeLimitExceeded ? "size limit" : "administrative limit"
            return LDAPError(kind: .serverLimitExceeded, code: code, operation: operation,
                             message: "The server's \(limit) ended the search after \(entriesRead ?? 0) entries",
                             diagnosticMessage: diagnostic, url: url, entriesRead: entriesRead)
        default:
            let kind: LDAPError.Kind = switch code {
            case .timeout: .timeout
            case .filterError, .paramError: .invalidArgument
            default: .operationFailed
            }
            return LDAPError(kind: kind, code: code, operation: operation, message: Self.errorText(rc),
                             diagnosticMessage: diagnostic, url: url, entriesRead: entriesRead)
        }
    }

    /// After a call on the connected handle failed with `rc`: the error of a connection that
    /// broke, or nil. A message over the size limit (the guard saw its length; libldap says
    /// `LDAP_SERVER_DOWN`) is `messageTooLarge`; `LDAP_SERVER_DOWN` or `LDAP_CONNECT_ERROR`
    /// otherwise is `connectionLost` — the connection was up, so the server did not vanish
    /// before it. Either marks the connection broken (see `broken`).
    func brokenConnectionError(_ rc: Int32, operation: String, entriesRead: Int? = nil) -> LDAPError? {
        let code = LDAPResultCode(rawValue: rc)
        let error: LDAPError
        if let length = connectionGuard.oversizeMessage {
            error = LDAPError(kind: .messageTooLarge, code: code, operation: operation,
                              message: "The server sent a message of \(length) bytes, over the "
                                  + "\(Self.sizeText(maxMessageSize)) limit",
                              url: url, hint: "Is this an LDAP server? Check the host and port of the URL.",
                              entriesRead: entriesRead)
        } else if code == .serverDown || code == .connectError {
            error = LDAPError(kind: .connectionLost, code: code, operation: operation,
                              message: entriesRead.map { "The connection was lost after \($0) entries" }
                                  ?? "The connection was lost",
                              diagnosticMessage: diagnosticMessage(), url: url, entriesRead: entriesRead)
        } else {
            return nil
        }
        broken = error
        return error
    }

    /// `16 MiB`, `512 KiB`, or bytes.
    static func sizeText(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes)-byte"
    }

    /// The limit for one operation (a page of a search); nil when unlimited.
    var operationLimit: Duration? { operationTimeout > .zero ? operationTimeout : nil }
}

@available(*, unavailable)
extension LDAPConnection: Sendable {}

/// Scheme, host and port of an LDAP URL, from `ldap_url_parse(3)`.
struct ServerAddress {
    var isLDAPS: Bool
    var host: String
    var port: Int

    init(_ url: String) throws(LDAPError) {
        var description: UnsafeMutablePointer<LDAPURLDesc>?
        let rc = ldap_url_parse(url, &description)
        // ldap_free_urldesc(3) releases what ldap_url_parse allocated.
        defer { if let description { ldap_free_urldesc(description) } }
        guard rc == LDAP_URL_SUCCESS, let description else {
            throw LDAPError(kind: .invalidArgument, code: .paramError, operation: "connect",
                            message: "Not a valid LDAP URL (ldap_url_parse error \(rc))", url: url)
        }
        let scheme = description.pointee.lud_scheme.map { String(cString: $0).lowercased() } ?? "ldap"
        guard scheme == "ldap" || scheme == "ldaps" else {
            throw LDAPError(kind: .invalidArgument, code: .paramError, operation: "connect",
                            message: "Not an ldap:// or ldaps:// URL", url: url)
        }
        isLDAPS = scheme == "ldaps"
        let host = description.pointee.lud_host.map { String(cString: $0) } ?? ""
        self.host = host.isEmpty ? "localhost" : host
        let port = Int(description.pointee.lud_port)
        self.port = port > 0 ? port : (isLDAPS ? 636 : 389)
    }
}

extension timeval {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init()
        tv_sec = .init(clamping: max(0, seconds))
        tv_usec = .init(clamping: max(0, attoseconds / 1_000_000_000_000))
    }
}

extension Duration {
    /// Whole milliseconds (rounded toward zero), for poll(2) and Dispatch timers.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
