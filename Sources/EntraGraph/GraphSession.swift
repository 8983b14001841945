public import Foundation
public import Logging
import NIOHTTP1

/// What a run needs to reach Graph.
public struct GraphSettings: Sendable {
    public var tenantId: String
    public var clientId: String
    public var credential: ClientCredential
    public var endpoints: GraphEndpoints
    /// Bounds each connection and each request (`--timeout`).
    public var timeout: TimeInterval
    /// `--graph-ca-file`.
    public var caFile: String?
    /// The most time spent waiting between retries in one run (`--max-retry-wait`).
    public var retryBudget: TimeInterval
    /// The most tries of one request (the first included).
    public var maxAttempts: Int
    /// For `HTTPS_PROXY` / `NO_PROXY`.
    public var environment: [String: String]

    public static let defaultRetryBudget: TimeInterval = 300
    public static let defaultMaxAttempts = 8

    public init(tenantId: String, clientId: String, credential: ClientCredential, endpoints: GraphEndpoints,
                timeout: TimeInterval = 30, caFile: String? = nil, retryBudget: TimeInterval = defaultRetryBudget,
                maxAttempts: Int = defaultMaxAttempts, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.tenantId = tenantId
        self.clientId = clientId
        self.credential = credential
        self.endpoints = endpoints
        self.timeout = timeout
        self.caFile = caFile
        self.retryBudget = retryBudget
        self.maxAttempts = maxAttempts
        self.environment = environment
    }
}

/// Signed-in requests to Graph: an app-only token taken and renewed before it expires, and
/// every request retried the way Microsoft's throttling guidance asks
/// (https://learn.microsoft.com/graph/throttling): 429 and 503 wait `Retry-After` when Graph
/// sends it, else an exponential backoff with jitter; 500, 502 and 504 and a connection lost
/// before the answer back off too (every request here is a GET, safe to repeat); all the waiting of a run stays within `retryBudget`. A 401 takes a
/// new token once. Nothing printed or logged holds the secret, an assertion or a token.
public final class GraphSession: Sendable {
    public let settings: GraphSettings
    private let transport: GraphTransport
    private let tokens: TokenCache
    private let budget: RetryBudget
    private let logger: Logger

    /// The answers worth another try: throttled, or a server-side failure that may pass.
    static let retryableStatuses: Set<Int> = [429, 500, 502, 503, 504]

    /// The largest response body accepted (a page of 999 users is about 1 MiB).
    static let maxBody = 64 << 20

    public init(settings: GraphSettings, logger: Logger) throws(GraphError) {
        try GraphIdentifiers.checkTenant(settings.tenantId)
        try GraphIdentifiers.checkClient(settings.clientId)
        self.settings = settings
        self.logger = logger
        transport = try GraphTransport(caFile: settings.caFile, timeout: settings.timeout, environment: settings.environment)
        tokens = TokenCache()
        budget = RetryBudget(limit: settings.retryBudget)
    }

    public func shutdown() async { await transport.shutdown() }

    /// GET `url` (absolute, sent verbatim) with the token; returns the 200 body. Other answers
    /// throw `GraphError` with Graph's error code and message; `what` names the request.
    public func get(_ url: String, what: String) async throws(GraphError) -> [UInt8] {
        var renewed = false
        var attempt = 0
        while true {
            attempt += 1
            let token = try await token()
            let response: GraphTransport.Response
            do {
                response = try await transport.send(.GET, url, headers: [("Authorization", "Bearer " + token), ("Accept", "application/json")],
                                                    maxBody: Self.maxBody)
            } catch {
                guard error.transient, attempt < settings.maxAttempts else { throw error }
                try await pause(after: attempt, retryAfter: nil, what: what, reason: error.message)
                continue
            }
            switch response.status {
            case 200:
                return response.body
            case 401 where !renewed:
                // The token expired early or was revoked: one new token, then give up.
                renewed = true
                await tokens.discard(token)
                logger.info("Graph answered 401 to \(what); taking a new token")
                continue
            case let status where Self.retryableStatuses.contains(status):
                let problem = GraphProblem(response)
                guard attempt < settings.maxAttempts else {
                    throw GraphError(.network, "Graph answered \(what) with \(problem) \(attempt) times in a row; try again later")
                }
                try await pause(after: attempt, retryAfter: Self.retryAfter(response.headers), what: what, reason: "\(problem)")
            case 401:
                throw GraphError(.credentialRefused, "Graph refused the app's token for \(what) twice (\(GraphProblem(response))); check that the app registration and its consent are in place")
            case 403:
                throw GraphError(.forbidden, "Graph refused \(what) (\(GraphProblem(response)))")
            default:
                throw GraphError(response.status >= 500 ? .network : .refused, "Graph answered \(what) with \(GraphProblem(response))")
            }
        }
    }

    /// POSTs a form (the password sign-in's) to `url`, retrying a failed connection as the token
    /// request does; any HTTP answer is returned as it is.
    func sendForm(_ url: String, body: [UInt8]) async throws(GraphError) -> GraphTransport.Response {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await transport.send(.POST, url, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                                body: body, maxBody: 1 << 20)
            } catch {
                guard error.transient, attempt < settings.maxAttempts else {
                    throw GraphError(error.kind, "the sign-in request to \(url) failed: \(error.message)")
                }
                try await pause(after: attempt, retryAfter: nil, what: "the sign-in request", reason: error.message)
            }
        }
    }

    /// Waits before the next try: `Retry-After` when Graph gave it, else 1, 2, 4 ... 32 s with
    /// jitter. Throws when the wait would overrun the run's retry budget.
    private func pause(after attempt: Int, retryAfter: TimeInterval?, what: String, reason: String) async throws(GraphError) {
        let delay = retryAfter ?? min(32, pow(2, Double(attempt - 1))) * Double.random(in: 0.5...1.0)
        guard await budget.take(delay) else {
            let spent = await budget.spent
            throw GraphError(.network, "Graph kept failing \(what) (\(reason)): waiting \(Self.seconds(delay)) more would pass the retry budget of \(Self.seconds(settings.retryBudget)) (\(Self.seconds(spent)) waited already); try again later or raise --max-retry-wait")
        }
        logger.notice("Graph: \(reason) for \(what); retrying in \(Self.seconds(delay))")
        try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
    }

    static func seconds(_ t: TimeInterval) -> String { t < 10 ? String(format: "%.1f s", t) : "\(Int(t.rounded())) s" }

    /// `Retry-After` in seconds (or an HTTP date).
    static func retryAfter(_ headers: HTTPHeaders) -> TimeInterval? {
        guard let value = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }

    // MARK: Tokens

    /// A token valid for a while yet: the cached one, or a new one from the token endpoint.
    private func token() async throws(GraphError) -> String {
        try await tokens.token { () async throws(GraphError) in try await self.requestToken() }
    }

    /// POST to the v2.0 token endpoint (client credentials grant,
    /// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
    private func requestToken() async throws(GraphError) -> (String, TimeInterval) {
        let tokenURL = settings.endpoints.tokenURL(tenant: settings.tenantId)
        var attempt = 0
        while true {
            attempt += 1
            var form = [("client_id", settings.clientId), ("scope", settings.endpoints.scope), ("grant_type", "client_credentials")]
            switch settings.credential {
            case .secret(let secret):
                form.append(("client_secret", secret))
            case .certificate(let certificate):
                form.append(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"))
                form.append(("client_assertion", try certificate.assertion(clientId: settings.clientId, audience: tokenURL)))
            }
            let body = Array(form.map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&").utf8)
            let response: GraphTransport.Response
            do {
                response = try await transport.send(.POST, tokenURL, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                                    body: body, maxBody: 1 << 20)
            } catch {
                guard error.transient, attempt < settings.maxAttempts else {
                    throw GraphError(error.kind, "the token request to \(tokenURL) failed: \(error.message)")
                }
                try await pause(after: attempt, retryAfter: nil, what: "the token request", reason: error.message)
                continue
            }
            let answer = TokenAnswer(response.body, redacting: settings.credential.secretText)
            if response.status == 200, let token = answer.accessToken {
                return (token, answer.expiresIn ?? 3599)
            }
            if Self.retryableStatuses.contains(response.status) || answer.error == "temporarily_unavailable" {
                guard attempt < settings.maxAttempts else {
                    throw GraphError(.network, "the token endpoint \(tokenURL) kept answering \(response.status) (\(answer.summary)); try again later")
                }
                try await pause(after: attempt, retryAfter: Self.retryAfter(response.headers), what: "the token request", reason: "\(response.status) \(answer.summary)")
                continue
            }
            throw GraphError(.credentialRefused, "Microsoft Entra ID refused the app's credential for tenant \(settings.tenantId) and client \(settings.clientId) (HTTP \(response.status)): \(answer.summary.hasSuffix(".") ? String(answer.summary.dropLast()) : answer.summary). \(Self.advice(answer.codes))")
        }
    }

    /// The next step for the common AADSTS codes (https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
    static func advice(_ codes: [Int]) -> String {
        switch codes.first {
        case 7000215, 7000222: "Check the client secret (its Value, not its Secret ID) and that it has not expired."
        case 700016: "Check --client-id and --tenant-id: the app is not registered in that tenant."
        case 90002, 900023: "Check --tenant-id."
        case 700027, 50012, 50013, 700024, 50027:
            "Check that --client-certificate is registered on the app (Certificates & secrets) with --client-key its key, and that this host's clock is right."
        case 7000218: "Give a client secret or a certificate."
        default: "Check the app registration (its credentials and admin consent) in the Entra admin center."
        }
    }

    /// `value` for a form body or a URL's query: everything but unreserved characters
    /// percent-encoded (a `+` in base64 would otherwise read as a space).
    static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

/// The current token and when to stop using it: well before it expires (at 80% of its life,
/// at most 5 minutes early), so that a long read never sends an expired one on purpose.
/// Requests that need a token at the same time share one token request.
actor TokenCache {
    private var token: String?
    private var renewAt = Date.distantPast
    private var pending: Task<(String, TimeInterval), any Error>?

    /// The cached token, else the one `fetch` brings (one fetch for all who wait).
    func token(_ fetch: @escaping @Sendable () async throws(GraphError) -> (String, TimeInterval)) async throws(GraphError) -> String {
        if let token, Date() < renewAt { return token }
        let task = pending ?? Task { try await fetch() }
        pending = task
        do {
            let (token, lifetime) = try await task.value
            if pending == task {
                pending = nil
                self.token = token
                renewAt = Date().addingTimeInterval(lifetime - min(300, lifetime * 0.2))
            }
            return token
        } catch {
            if pending == task { pending = nil }
            throw error as? GraphError ?? GraphError(.network, "\(error)")
        }
    }

    func discard(_ used: String) {
        if token == used { token = nil }
    }
}

/// The waiting a run may still do between retries.
actor RetryBudget {
    let limit: TimeInterval
    private(set) var spent: TimeInterval = 0

    init(limit: TimeInterval) { self.limit = limit }

    /// Books `delay` if it fits.
    func take(_ delay: TimeInterval) -> Bool {
        guard spent + delay <= limit else { return false }
        spent += delay
        return true
    }
}

/// Graph's error body (`{"error": {"code", "message"}}`, https://learn.microsoft.com/graph/errors)
/// in one line: `403 Authorization_RequestDenied: Insufficient privileges ...`.
struct GraphProblem: CustomStringConvertible {
    var status: Int
    var code: String?
    var message: String?

    init(_ response: GraphTransport.Response) {
        status = response.status
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        code = (error?["code"] as? String).map(Self.oneLine)
        message = (error?["message"] as? String).map(Self.oneLine)
    }

    var description: String {
        "\(status)" + (code.map { " \($0)" } ?? "") + (message.map { ": \($0)" } ?? "")
    }

    /// Server text on one line, at most 300 characters, without control or format characters
    /// (escape sequences, bidirectional overrides): it is shown and logged, never trusted.
    static func oneLine(_ text: String) -> String {
        let first = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        var line = String(String.UnicodeScalarView(first.unicodeScalars.map { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator: "?"
            default: scalar
            }
        }))
        if line.count > 300 { line = String(line.prefix(300)) + "..." }
        return line
    }
}

/// The token endpoint's answer: a token, or `error`, `error_description` and `error_codes`.
struct TokenAnswer {
    var accessToken: String?
    var expiresIn: TimeInterval?
    var error: String?
    var description: String?
    var codes: [Int] = []

    init(_ body: [UInt8], redacting secret: String?) {
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        accessToken = object?["access_token"] as? String
        expiresIn = (object?["expires_in"] as? NSNumber)?.doubleValue ?? (object?["expires_in"] as? String).flatMap(Double.init)
        error = object?["error"] as? String
        // "AADSTS7000215: Invalid client secret provided. ...\r\nTrace ID: ...": the first line.
        var text = (object?["error_description"] as? String).map(GraphProblem.oneLine)
        if let secret, !secret.isEmpty { text = text?.replacingOccurrences(of: secret, with: "[secret]") }
        description = text
        codes = (object?["error_codes"] as? [NSNumber])?.map(\.intValue) ?? []
    }

    var summary: String {
        [error, description].compactMap { $0 }.joined(separator: ": ").nonEmpty ?? "no error description"
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
