import Foundation
import NIOHTTP1
import Testing
@testable import EntraGraph

@Suite("Graph endpoints, identifiers, proxies and Retry-After")
struct GraphPlumbingTests {
    @Test("Each national cloud has its Graph and sign-in host; the token names the cloud's Graph whatever --graph-url says",
          arguments: [(GraphCloud.global, "https://graph.microsoft.com", "https://login.microsoftonline.com"),
                      (.usgov, "https://graph.microsoft.us", "https://login.microsoftonline.us"),
                      (.usgovDoD, "https://dod-graph.microsoft.us", "https://login.microsoftonline.us"),
                      (.china, "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn")])
    func clouds(cloud: GraphCloud, graph: String, login: String) throws {
        let endpoints = try GraphEndpoints(cloud: cloud)
        #expect(endpoints.v1 == graph + "/v1.0" && endpoints.beta == graph + "/beta")
        #expect(endpoints.tokenURL(tenant: "contoso.onmicrosoft.com") == login + "/contoso.onmicrosoft.com/oauth2/v2.0/token")
        #expect(endpoints.scope == graph + "/.default")
        let local = try GraphEndpoints(cloud: cloud, graphURL: "https://127.0.0.1:8443/", loginURL: "https://127.0.0.1:8443")
        #expect(local.v1 == "https://127.0.0.1:8443/v1.0" && local.scope == graph + "/.default")
    }

    @Test("Graph and sign-in URLs must be https:// without a query: a token never crosses in clear",
          arguments: ["http://graph.example", "graph.example", "https://", "https://graph.example/?x=1", "https://user@graph.example"])
    func refusedURLs(url: String) {
        #expect(throws: GraphError.self) { try GraphEndpoints(cloud: .global, graphURL: url) }
        #expect(throws: GraphError.self) { try GraphEndpoints(cloud: .global, loginURL: url) }
    }

    @Test("A tenant is a GUID or a domain, a client a GUID: nothing else reaches a URL")
    func identifiers() throws {
        try GraphIdentifiers.checkTenant("72f988bf-86f1-41af-91ab-2d7cd011db47")
        try GraphIdentifiers.checkTenant("contoso.onmicrosoft.com")
        for bad in ["", "../common", "a/b", "contoso.com?x", "a..b", ".a", "tenant id"] {
            #expect(throws: GraphError.self, "\(bad)") { try GraphIdentifiers.checkTenant(bad) }
        }
        try GraphIdentifiers.checkClient("0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b")
        #expect(throws: GraphError.self) { try GraphIdentifiers.checkClient("my-app") }
    }

    @Test("HTTPS_PROXY with credentials (never shown), NO_PROXY by host and domain, * for none")
    func proxies() throws {
        #expect(try ProxySettings(environment: [:]) == nil)
        let proxy = try #require(try ProxySettings(environment: ["HTTPS_PROXY": "http://svc%40corp:p%40ss@proxy.corp.example:3128",
                                                                 "NO_PROXY": "localhost, .corp.example,10.0.0.1"]))
        #expect(proxy.host == "proxy.corp.example" && proxy.port == 3128)
        #expect(!proxy.display.contains("p@ss") && !proxy.display.contains("svc"))
        #expect(proxy.applies(to: "graph.microsoft.com") && proxy.applies(to: "login.microsoftonline.com"))
        #expect(!proxy.applies(to: "localhost") && !proxy.applies(to: "gw.corp.example") && !proxy.applies(to: "corp.example"))
        #expect(proxy.applies(to: "notcorp.example"))
        let lower = try #require(try ProxySettings(environment: ["https_proxy": "proxy:8080", "no_proxy": "*"]))
        #expect(lower.port == 8080 && !lower.applies(to: "graph.microsoft.com"))
        #expect(throws: GraphError.self) { try ProxySettings(environment: ["HTTPS_PROXY": "socks5://proxy:1080"]) }
    }

    @Test("@odata.nextLink must stay on the https host and port the listing started on: the token goes nowhere else")
    func nextLinkHost() throws {
        try GraphReader.checkNextLink("https://graph.microsoft.com/v1.0/users?$skiptoken=x", graphRoot: "https://graph.microsoft.com")
        try GraphReader.checkNextLink("https://GRAPH.microsoft.com/v1.0/users?$skiptoken=x", graphRoot: "https://graph.microsoft.com")
        for link in ["https://evil.example/v1.0/users?$skiptoken=x", "http://graph.microsoft.com/v1.0/users",
                     "https://graph.microsoft.com:8443/v1.0/users", "https://graph.microsoft.com.evil.example/v1.0/users", "/v1.0/users"] {
            #expect(throws: GraphError.self, "\(link)") { try GraphReader.checkNextLink(link, graphRoot: "https://graph.microsoft.com") }
        }
    }

    @Test("Server text shown or logged is one line without control or format characters")
    func serverText() {
        #expect(GraphProblem.oneLine("bad\u{1B}[31mred\u{202E}txt\nsecond line") == "bad?[31mred?txt")
        #expect(GraphProblem.oneLine(String(repeating: "x", count: 400)).count == 303)
    }

    @Test("Retry-After in seconds or as an HTTP date")
    func retryAfter() {
        #expect(GraphSession.retryAfter(["Retry-After": "7"]) == 7)
        #expect(GraphSession.retryAfter([:]) == nil)
        let date = GraphSession.retryAfter(["Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"])
        #expect(date == 0, "a date in the past means now")
        #expect(GraphSession.retryAfter(["Retry-After": "soon"]) == nil)
    }

    @Test("The token endpoint's error: its first line, the secret blanked, the codes kept")
    func tokenErrors() {
        let body = #"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: hunter2.\r\nTrace ID: 1\r\nCorrelation ID: 2","error_codes":[7000215]}"#
        let answer = TokenAnswer(Array(body.utf8), redacting: "hunter2")
        #expect(answer.summary == "invalid_client: AADSTS7000215: Invalid client secret provided: [secret].")
        #expect(answer.codes == [7000215])
        #expect(GraphSession.advice(answer.codes).contains("client secret"))
        #expect(GraphSession.formEncode("a+b/c=d&e f") == "a%2Bb%2Fc%3Dd%26e%20f")
    }
}
