import Foundation
public import SyncAudit
import Yams

/// `--exceptions FILE`: findings an admin has looked at and accepts for a while
/// (docs/FINDINGS.md "Accepted findings"). The file:
///
///     exceptions:
///       - code: password-not-synced
///         user: alice                # sAMAccountName or userPrincipalName
///         reason: Leaver, kept for mail until the HR case closes (CHG-1234)
///         expires: 2026-12-31        # last day it applies (UTC)
///       - code: phs-excluded
///         dn: "*,OU=Service Accounts,DC=corp,DC=example,DC=com"
///         reason: Service accounts never sign in to the cloud
///         expires: 2027-06-30
///
/// Every entry needs a code, one of user or dn, a reason and an expiry date: an exception
/// without an end is a finding hidden for good. Messages name the file and line; they quote
/// the entry's own key names, never a value.
public enum ExceptionsFile {
    public static func load(path: String) throws(ConfigError) -> [FindingException] {
        let text = try ConfigFile.readText(path: path, option: "--exceptions", what: "an exceptions file")
        return try parse(text, path: path)
    }

    static let example = "exceptions:\n  - code: password-not-synced\n    user: alice\n    reason: why it is accepted\n    expires: 2026-12-31"

    public static func parse(_ text: String, path: String) throws(ConfigError) -> [FindingException] {
        guard let root = try ConfigFile.compose(text, path: path) else { return [] }
        let rootLine = root.mark?.line ?? 1
        guard let mapping = root.mapping, mapping.count == 1, let (keyNode, listNode) = mapping.first,
              keyNode.scalar?.string == "exceptions"
        else {
            throw ConfigError("\(path):\(rootLine): an exceptions file is one list under `exceptions:`, e.g.\n\(example)")
        }
        if ConfigFile.isNull(listNode) { return [] }
        guard case .sequence(let items) = listNode else {
            throw ConfigError("\(path):\(listNode.mark?.line ?? rootLine): exceptions is a list of entries, each starting with `- code:`, e.g.\n\(example)")
        }
        var exceptions: [FindingException] = []
        for item in items {
            let line = item.mark?.line ?? rootLine
            guard let fields = item.mapping else {
                throw ConfigError("\(path):\(line): each exception is a mapping with code, user or dn, reason and expires, e.g.\n\(example)")
            }
            var values: [String: (text: String, line: Int)] = [:]
            for (key, value) in fields {
                let keyLine = key.mark?.line ?? line
                guard let name = key.scalar?.string, ["code", "user", "dn", "reason", "expires"].contains(name) else {
                    let near = key.scalar.flatMap { ConfigFile.suggestion(for: $0.string, among: ["code", "user", "dn", "reason", "expires"]) }
                    throw ConfigError("\(path):\(keyLine): an exception takes code, user or dn, reason and expires" + (near.map { "; did you mean \($0)?" } ?? ""))
                }
                guard let text = value.scalar?.string, !ConfigFile.isNull(value), !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw ConfigError("\(path):\(keyLine): \(name) needs a value")
                }
                values[name] = (text, keyLine)
            }
            exceptions.append(try entry(values, line: line, path: path))
        }
        return exceptions
    }

    private static func entry(_ values: [String: (text: String, line: Int)], line: Int, path: String) throws(ConfigError) -> FindingException {
        for key in ["code", "reason", "expires"] where values[key] == nil {
            throw ConfigError("\(path):\(line): this exception has no \(key): every exception needs a code, user or dn, a reason and an expires date")
        }
        let codeText = values["code"]!
        guard let code = FindingCode(rawValue: codeText.text) else {
            let near = ConfigFile.suggestion(for: codeText.text, among: FindingCode.allCases.map(\.rawValue))
            throw ConfigError("\(path):\(codeText.line): code is not a finding code" + (near.map { "; did you mean \($0)?" } ?? "; the codes are listed in docs/FINDINGS.md"))
        }
        guard code.scope == .user else {
            throw ConfigError("\(path):\(codeText.line): \(code.rawValue) is about the \(code.scope.rawValue), not a user: only user findings can be accepted")
        }
        let subject: FindingException.Subject
        switch (values["user"], values["dn"]) {
        case (let user?, nil): subject = .user(user.text)
        case (nil, let dn?): subject = .distinguishedName(dn.text)
        case (_?, _?): throw ConfigError("\(path):\(line): give user or dn, not both (two entries if both are meant)")
        case (nil, nil): throw ConfigError("\(path):\(line): this exception names nobody: add user (sAMAccountName or UPN) or dn (a DN pattern, * for any text)")
        }
        let expiresText = values["expires"]!
        guard let day = Timestamp.parse(expiresText.text + "T00:00:00Z"), expiresText.text.count == 10 else {
            throw ConfigError("\(path):\(expiresText.line): expires is the last day the exception applies, as YYYY-MM-DD (e.g. 2026-12-31)")
        }
        return FindingException(code: code, subject: subject, reason: values["reason"]!.text,
                                expires: day.addingTimeInterval(86_400), place: "\(path) line \(line)")
    }
}
