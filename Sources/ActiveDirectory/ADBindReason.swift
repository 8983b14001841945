import Foundation

/// AD's bind diagnostic carries a Win32 reason after `data` (e.g. `..., data 52e, v4563`).
public enum ADBindReason {
    public static let reasons: [String: String] = [
        "525": "the user does not exist",
        "52e": "wrong user name or password",
        "530": "logon not permitted at this time",
        "531": "logon not permitted from this workstation",
        "532": "the password has expired",
        "533": "the account is disabled",
        "701": "the account has expired",
        "773": "the user must reset the password",
        "775": "the account is locked out",
    ]

    /// ", AD says: the account is locked out" or "" when the message carries no known reason.
    public static func explain(_ diagnostic: String?) -> String {
        guard let diagnostic, let range = diagnostic.range(of: "data ") else { return "" }
        let code = diagnostic[range.upperBound...].prefix { $0.isHexDigit }.lowercased()
        return reasons[code].map { "; AD says: \($0)" } ?? ""
    }
}
