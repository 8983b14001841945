#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A plain TCP connect to `host:port`, closed at once. Used only to tell a failed TLS
/// handshake from a server that cannot be reached: libldap reports both as
/// `LDAP_SERVER_DOWN` (-1) "Can't contact LDAP server".
enum TCPProbe {
    /// True when some address of `host` accepts a TCP connection on `port` within `timeout`.
    static func canConnect(host: String, port: Int, timeout: Duration) -> Bool {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        // getaddrinfo(3): the list is released with freeaddrinfo.
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let list else { return false }
        defer { freeaddrinfo(list) }

        let milliseconds = Int32(clamping: max(1, timeout.wholeMilliseconds))
        var candidate: UnsafeMutablePointer<addrinfo>? = list
        while let info = candidate {
            candidate = info.pointee.ai_next
            if attempt(info.pointee, milliseconds: milliseconds) { return true }
        }
        return false
    }

    private static func attempt(_ info: addrinfo, milliseconds: Int32) -> Bool {
        let fd = socket(info.ai_family, info.ai_socktype, info.ai_protocol)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let flags = fcntl(fd, F_GETFL, 0)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { return false }
        if connect(fd, info.ai_addr, info.ai_addrlen) == 0 { return true }
        guard errno == EINPROGRESS else { return false }
        var pollfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        var ready: Int32
        repeat {
            ready = poll(&pollfd, 1, milliseconds)
        } while ready < 0 && errno == EINTR
        guard ready == 1 else { return false }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return false }
        return error == 0
    }
}
