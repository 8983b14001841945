import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// HTTPS to Graph and the token endpoint with async-http-client: TLS verified against the
/// system's CAs plus `--graph-ca-file`, `HTTPS_PROXY` / `NO_PROXY` honoured, every connection
/// and request bounded by `--timeout`, redirects not followed (a bearer token is never sent on
/// to another host), and a response body held only up to a limit.
final class GraphTransport: Sendable {
    private let direct: HTTPClient
    private let proxied: HTTPClient?
    private let proxy: ProxySettings?
    let timeout: TimeInterval

    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    init(caFile: String?, timeout: TimeInterval, environment: [String: String]) throws(GraphError) {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            do {
                let pem = try ClientCertificate.readText(caFile, option: "--graph-ca-file", limit: 4 << 20)
                let certificates = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
                guard !certificates.isEmpty else { throw GraphError(.configuration, "") }
                tls.additionalTrustRoots = [.certificates(certificates)]
            } catch let error as GraphError where !error.message.isEmpty {
                throw error
            } catch {
                throw GraphError(.configuration, "--graph-ca-file \(caFile): no PEM certificate could be read from it; give the CA (PEM) that issued the certificate of Graph, the sign-in host or your TLS-inspecting proxy")
            }
        }
        self.timeout = timeout
        proxy = try ProxySettings(environment: environment)
        func client(_ proxy: HTTPClient.Configuration.Proxy?) -> HTTPClient {
            var configuration = HTTPClient.Configuration(
                tlsConfiguration: tls, redirectConfiguration: .disallow,
                timeout: .init(connect: .milliseconds(Int64(timeout * 1000)), read: .milliseconds(Int64(timeout * 1000))),
                proxy: proxy)
            configuration.httpVersion = .automatic
            return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        }
        direct = client(nil)
        proxied = proxy.map { client($0.configuration) }
    }

    /// Sends one request; the body is read whole, up to `maxBody` bytes.
    func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)], body: [UInt8]? = nil,
              maxBody: Int) async throws(GraphError) -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let host = URL(string: url)?.host ?? ""
        let client = proxied.flatMap { proxy?.applies(to: host) == true ? $0 : nil } ?? direct
        let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000))
        do {
            let response = try await client.execute(request, deadline: deadline)
            let buffer = try await response.body.collect(upTo: maxBody)
            return Response(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
        } catch is NIOTooManyBytesError {
            throw GraphError(.badResponse, "\(Self.place(url)) sent a response larger than \(maxBody / (1 << 20)) MiB: that is not a Graph page")
        } catch {
            var failure = GraphError(.network, "\(Self.place(url)): \(Self.describe(error, timeout: timeout, proxy: proxy?.applies(to: host) == true ? proxy : nil))")
            failure.transient = Self.isTransient(error)
            throw failure
        }
    }

    func shutdown() async {
        try? await direct.shutdown()
        try? await proxied?.shutdown()
    }

    /// `https://host/path` without the query (a `$skiptoken` is noise in a message).
    static func place(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.query = nil
        return components.string ?? url
    }

    /// A connection closed or reset, or no answer in time: another try may go through.
    static func isTransient(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return [.remoteConnectionClosed, .readTimeout, .connectTimeout, .deadlineExceeded, .tlsHandshakeTimeout,
                    .getConnectionFromPoolTimeout, .writeTimeout].contains(error)
        }
        if let error = error as? IOError { return [ECONNRESET, EPIPE, ETIMEDOUT].contains(error.errnoCode) }
        if let error = error as? HTTPParserError { return error == .invalidEOFState }
        if let error = error as? NIOSSLError, case .uncleanShutdown = error { return true }
        return false
    }

    /// A transport failure in words, with what to check.
    static func describe(_ error: any Error, timeout: TimeInterval, proxy: ProxySettings?) -> String {
        let via = proxy.map { " through the proxy \($0.display) (HTTPS_PROXY)" } ?? ""
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .deadlineExceeded, .readTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                return "no answer within --timeout \(Int(timeout)) s\(via); check the network path and the proxy settings, or raise --timeout"
            case .remoteConnectionClosed:
                return "the connection closed before the response was complete\(via)"
            case .httpProxyHandshakeTimeout, .invalidProxyResponse, .proxyAuthenticationRequired:
                return "the proxy \(proxy?.display ?? "") refused or did not answer the tunnel request (\(error)); check HTTPS_PROXY and its credentials"
            default:
                return "\(error)\(via)"
            }
        }
        if let error = error as? HTTPParserError, error == .invalidEOFState {
            return "the connection closed before the response was complete\(via)"
        }
        if let error = error as? NIOSSLError {
            if case .handshakeFailed(let inner) = error, "\(inner)".contains("CERTIFICATE_VERIFY_FAILED") {
                return "the server's TLS certificate is not trusted\(via); if a TLS-inspecting proxy or a private CA signs it, give that CA with --graph-ca-file"
            }
            return "TLS failed\(via): \(error)"
        }
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificateVerify") {
            return "the server's TLS certificate is not trusted\(via); if a TLS-inspecting proxy or a private CA signs it, give that CA with --graph-ca-file"
        }
        if text.contains("connectionRefused") || text.contains("Connection refused") {
            return "the connection was refused\(via); check the host, the port and the proxy settings"
        }
        return "cannot connect (\(text))\(via); check DNS, the network path and the proxy settings"
    }
}

/// `HTTPS_PROXY` (or `https_proxy`) and `NO_PROXY` (or `no_proxy`), as curl reads them:
/// `http://[user:password@]host:port`; `NO_PROXY` a comma-separated list of host names (a
/// leading dot or none matches the domain and its subdomains), `*` for every host.
struct ProxySettings: Sendable {
    let host: String
    let port: Int
    private let authorization: HTTPClient.Authorization?
    private let exceptions: [String]
    private let noneAtAll: Bool

    /// nil when no proxy is set.
    init?(environment: [String: String]) throws(GraphError) {
        guard let text = environment["HTTPS_PROXY"] ?? environment["https_proxy"], !text.isEmpty else { return nil }
        let withScheme = text.contains("://") ? text : "http://" + text
        guard let url = URLComponents(string: withScheme), let host = url.host, !host.isEmpty,
              url.scheme?.lowercased() == "http" else {
            throw GraphError(.configuration, "HTTPS_PROXY is not an http://host:port URL; set it to the proxy's address, e.g. http://proxy.corp.example:3128")
        }
        self.host = host
        port = url.port ?? 80
        if let user = url.user {
            authorization = .basic(username: user.removingPercentEncoding ?? user, password: url.password?.removingPercentEncoding ?? "")
        } else {
            authorization = nil
        }
        let list = (environment["NO_PROXY"] ?? environment["no_proxy"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        noneAtAll = list.contains("*")
        exceptions = list.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 }
    }

    var configuration: HTTPClient.Configuration.Proxy { .server(host: host, port: port, authorization: authorization) }

    /// For messages: the proxy without its credentials.
    var display: String { "\(host):\(port)" }

    /// Whether requests to `host` go through the proxy.
    func applies(to host: String) -> Bool {
        let host = host.lowercased()
        if noneAtAll { return false }
        return !exceptions.contains { host == $0 || host.hasSuffix("." + $0) }
    }
}
