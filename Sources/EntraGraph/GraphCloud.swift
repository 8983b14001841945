import Foundation

/// The Microsoft Graph deployments (https://learn.microsoft.com/graph/deployments): each
/// national cloud has its own Graph and sign-in hosts, and a token must name its Graph.
public enum GraphCloud: String, CaseIterable, Sendable {
    case global
    /// US Government L4 (GCC High).
    case usgov
    /// US Government L5 (DOD).
    case usgovDoD = "usgov-dod"
    /// Microsoft Graph China operated by 21Vianet.
    case china

    /// The Graph root: the resource a token is asked for, and where requests go.
    public var graphRoot: String {
        switch self {
        case .global: "https://graph.microsoft.com"
        case .usgov: "https://graph.microsoft.us"
        case .usgovDoD: "https://dod-graph.microsoft.us"
        case .china: "https://microsoftgraph.chinacloudapi.cn"
        }
    }

    /// The Microsoft Entra sign-in root (the token endpoint is under it).
    public var loginRoot: String {
        switch self {
        case .global: "https://login.microsoftonline.com"
        case .usgov, .usgovDoD: "https://login.microsoftonline.us"
        case .china: "https://login.chinacloudapi.cn"
        }
    }
}

/// Where the requests of one run go.
public struct GraphEndpoints: Sendable, Hashable {
    /// Graph's root without a trailing slash (`https://graph.microsoft.com`, or `--graph-url`).
    public var graphRoot: String
    /// The sign-in root (`https://login.microsoftonline.com`, or `--login-url`).
    public var loginRoot: String
    /// `<the cloud's Graph>/.default`: the app's application permissions on that Graph. An
    /// explicit `--graph-url` does not change it: a token names the resource, not a host.
    public var scope: String

    /// `graphURL` and `loginURL` replace the cloud's hosts (a proxying gateway, the tests'
    /// emulator); they must be `https://` URLs: a token or a secret never crosses in clear.
    public init(cloud: GraphCloud, graphURL: String? = nil, loginURL: String? = nil) throws(GraphError) {
        graphRoot = try Self.root(graphURL, option: "--graph-url") ?? cloud.graphRoot
        loginRoot = try Self.root(loginURL, option: "--login-url") ?? cloud.loginRoot
        scope = cloud.graphRoot + "/.default"
    }

    /// The v2.0 token endpoint of `tenant`.
    public func tokenURL(tenant: String) -> String { "\(loginRoot)/\(tenant)/oauth2/v2.0/token" }

    public var v1: String { graphRoot + "/v1.0" }
    public var beta: String { graphRoot + "/beta" }

    private static func root(_ text: String?, option: String) throws(GraphError) -> String? {
        guard let text else { return nil }
        guard let url = URL(string: text), url.scheme?.lowercased() == "https", let host = url.host, !host.isEmpty,
              url.query == nil, url.fragment == nil, url.user == nil
        else {
            throw GraphError(.configuration, "\(option) \(text): give an https:// URL with a host and no query, e.g. https://graph.example.net")
        }
        var root = text
        while root.hasSuffix("/") { root.removeLast() }
        return root
    }
}

/// Checks of the identifiers that go into URLs and tokens.
public enum GraphIdentifiers {
    /// A tenant is a GUID or a domain name (`contoso.onmicrosoft.com`): it is a path segment of
    /// the token URL, so nothing else is let through.
    public static func checkTenant(_ tenant: String) throws(GraphError) {
        let allowed = tenant.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "." }
        guard !tenant.isEmpty, tenant.count <= 253, allowed, !tenant.hasPrefix("."), !tenant.contains("..") else {
            throw GraphError(.configuration, "--tenant-id \(tenant): give the directory (tenant) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, or the tenant's domain (contoso.onmicrosoft.com)")
        }
    }

    /// The application (client) ID is a GUID.
    public static func checkClient(_ client: String) throws(GraphError) {
        guard UUID(uuidString: client) != nil else {
            throw GraphError(.configuration, "--client-id \(client): give the app registration's Application (client) ID, a GUID")
        }
    }
}
