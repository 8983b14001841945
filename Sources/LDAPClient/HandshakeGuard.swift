internal import CLDAP
internal import Dispatch

/// Owns a `cldap_handshake_guard` (shim.h): bounds a TLS handshake that libldap with GnuTLS
/// would otherwise spin in forever when the server never answers.
///
/// The timer's closure keeps the guard alive, and `LDAPConnection` keeps it until after
/// `ldap_unbind_ext_s` (libldap holds the connection callback's pointer), so the C memory is
/// never used after it is freed.
final class HandshakeGuard: @unchecked Sendable {
    // All access to the C struct goes through its mutex (shim.h).
    private let guardPointer: UnsafeMutablePointer<cldap_handshake_guard>

    init?() {
        guard let pointer = cldap_handshake_guard_create() else { return nil }
        guardPointer = pointer
    }

    deinit {
        cldap_handshake_guard_destroy(guardPointer)
    }

    /// For `ldap_set_option(LDAP_OPT_CONNECT_CB)`.
    var connectCallback: UnsafeMutablePointer<ldap_conncb> {
        cldap_handshake_guard_callback(guardPointer)
    }

    /// Runs `body` (`ldap_connect` for LDAPS, `ldap_start_tls_s`) with the watchdog armed:
    /// once the connected socket has existed for one to two `period`s and `body` has not
    /// returned, the socket is shut down and the handshake fails. `socket` is the connection's
    /// descriptor when already connected (StartTLS), else -1 (the callback learns it).
    func run<R>(socket: Int32, period: Duration, _ body: () -> R) -> (result: R, timedOut: Bool) {
        cldap_handshake_guard_arm(guardPointer, socket)
        let interval = DispatchTimeInterval.milliseconds(Int(clamping: max(500, period.wholeMilliseconds)))
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + interval, repeating: interval)
        // Ticks after the guard fired or was disarmed do nothing; run() cancels the timer.
        timer.setEventHandler { [self] in
            _ = cldap_handshake_guard_tick(guardPointer)
        }
        timer.resume()
        let result = body()
        let fired = cldap_handshake_guard_disarm(guardPointer) != 0
        // Cancelling releases the handler (and its reference to this guard) promptly.
        timer.cancel()
        return (result, fired)
    }
}
