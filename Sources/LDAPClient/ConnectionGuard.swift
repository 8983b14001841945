internal import CLDAP
internal import Dispatch

/// Owns a `cldap_connection_guard` (shim.h), registered as the handle's connection callback
/// (`LDAP_OPT_CONNECT_CB`). It
///
/// - bounds a connection attempt (TCP connect, StartTLS request, TLS handshake) by one
///   deadline, which libldap with GnuTLS would otherwise spin in forever when the server never
///   answers the handshake; and
/// - limits what the server may send in one LDAP message (liblber's
///   `LBER_SB_OPT_SET_MAX_INCOMING` on the connection's Sockbuf) and records the length of a
///   message over the limit, which libldap itself reports only as `LDAP_SERVER_DOWN`.
///
/// The timer's closure keeps the guard alive, and `LDAPConnection` keeps it until after
/// `ldap_unbind_ext_s` (libldap holds the connection callback's pointer and the Sockbuf its I/O
/// layer), so the C memory is never used after it is freed.
final class ConnectionGuard: @unchecked Sendable {
    // All access to the C struct from the timer goes through its mutex (shim.h).
    private let guardPointer: UnsafeMutablePointer<cldap_connection_guard>

    /// `maxIncoming`: the largest LDAP message accepted, in bytes; 0 for no limit.
    init?(maxIncoming: Int) {
        guard let pointer = cldap_connection_guard_create(ber_len_t(clamping: max(0, maxIncoming))) else { return nil }
        guardPointer = pointer
    }

    deinit {
        cldap_connection_guard_destroy(guardPointer)
    }

    /// For `ldap_set_option(LDAP_OPT_CONNECT_CB)`.
    var connectCallback: UnsafeMutablePointer<ldap_conncb> {
        cldap_connection_guard_callback(guardPointer)
    }

    /// The length the server declared for the first message over the limit on this
    /// connection, or nil. Read it on the thread that makes the libldap calls, after one failed.
    var oversizeMessage: UInt64? {
        let length = cldap_connection_guard_oversize(guardPointer)
        return length > 0 ? UInt64(length) : nil
    }

    /// Runs `body` (`ldap_connect`, `ldap_start_tls_s`) with the guard armed until `deadline`:
    /// once it has passed and `body` has not returned, the connection's socket is shut down (or,
    /// when it connects only later, refused), so that `body` fails at once. `socket` is the
    /// connection's descriptor when already connected (StartTLS), else -1 (the callback learns
    /// it).
    func run<R>(socket: Int32, deadline: ContinuousClock.Instant, _ body: () -> R) -> (result: R, timedOut: Bool) {
        cldap_connection_guard_arm(guardPointer, socket)
        let remaining = max(.zero, deadline - ContinuousClock.now)
        let timer = DispatchSource.makeTimerSource(queue: .global())
        // At the deadline, then every 20 ms while a socket still connects: the first tick
        // that sees the connected socket shuts it down.
        timer.schedule(deadline: .now() + .milliseconds(Int(clamping: remaining.wholeMilliseconds)),
                       repeating: .milliseconds(20))
        timer.setEventHandler { [self] in
            _ = cldap_connection_guard_expire(guardPointer)
        }
        timer.resume()
        let result = body()
        let fired = cldap_connection_guard_disarm(guardPointer) != 0
        // Cancelling releases the handler (and its reference to this guard) promptly.
        timer.cancel()
        return (result, fired)
    }
}
