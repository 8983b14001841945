#if canImport(Glibc)
import Glibc
#endif
public import SyncAudit

/// What Entra ID answered a sign-in with a password.
public enum SignInResult: Sendable, Hashable {
    /// The password signed in: the hash Entra ID holds is this password's.
    case accepted
    /// AADSTS50126, "invalid username or password": Entra ID holds another password.
    case wrongPassword
    /// Refused for another reason (multi-factor authentication or Conditional Access required, the
    /// account locked or disabled, the app not a public client ...): the sign-in proves nothing
    /// about the password. The AADSTS codes, Entra's first line, and what to change.
    case refused(codes: [Int], summary: String, advice: String)
}

extension GraphSession {
    /// Signs in as `username` with `password` (OAuth 2.0 resource owner password credentials,
    /// https://learn.microsoft.com/entra/identity-platform/v2-oauth-ropc): a POST of
    /// `grant_type=password` to the tenant's v2.0 token endpoint for the public client
    /// `clientId`, scope `openid`. The token, if one comes, is dropped unread. The password goes
    /// into the request body only, which is zeroed after the send; it is never logged or shown.
    public func signIn(username: String, password: SecretBytes, clientId: String) async throws(GraphError) -> SignInResult {
        let tokenURL = settings.endpoints.tokenURL(tenant: settings.tenantId)
        var body = Array("client_id=\(Self.formEncode(clientId))&scope=openid&grant_type=password&username=\(Self.formEncode(username))&password=".utf8)
        password.withUnsafeBytes { bytes in
            for byte in bytes { Self.formEncode(byte, into: &body) }
        }
        defer { body.withUnsafeMutableBytes { explicit_bzero($0.baseAddress!, $0.count) } }
        let response = try await sendForm(tokenURL, body: body)
        if response.status == 200 { return .accepted }
        let answer = TokenAnswer(response.body, redacting: nil)
        if answer.codes.contains(50126) { return .wrongPassword }
        return .refused(codes: answer.codes, summary: answer.summary, advice: Self.signInAdvice(answer.codes))
    }

    /// What to change for the AADSTS codes a password sign-in meets
    /// (https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
    static func signInAdvice(_ codes: [Int]) -> String {
        switch codes.first {
        case 50076, 50079, 50072: "Multi-factor authentication is required of the canary: exclude it from MFA and the Conditional Access policies that ask for it (docs/PROBE.md)."
        case 53003, 53000, 53001, 53002: "Conditional Access blocked the sign-in: exclude the canary from the policy (docs/PROBE.md)."
        case 50053: "The canary is locked out (too many failed sign-ins): wait, or unlock it."
        case 50057: "The canary is disabled in Entra ID."
        case 50055: "The canary's password has expired in Entra ID."
        case 50034: "Entra ID has no user by that name: check the canary's cloud UPN."
        case 7000218, 700025: "The app given with --signin-client-id is not a public client: turn on 'Allow public client flows' in its Authentication settings."
        case 65001: "The sign-in app has no consent for openid in this tenant: grant it."
        case 700016: "--signin-client-id names no app in this tenant."
        default: "Check the sign-in app and the Conditional Access policies that apply to the canary (docs/PROBE.md)."
        }
    }

    /// `byte` as application/x-www-form-urlencoded writes it: unreserved characters as they
    /// are, every other byte as %XX.
    static func formEncode(_ byte: UInt8, into body: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            body.append(byte)
        default:
            let hex = Array("0123456789ABCDEF".utf8)
            body += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
        }
    }
}
