public import Foundation

/// One entry of the exceptions file (`--exceptions FILE`, docs/FINDINGS.md "Accepted
/// findings"): findings of `code` about one user, or about every user whose DN matches a
/// pattern, that an admin has looked at and accepts until `expires`.
public struct FindingException: Sendable, Hashable {
    public enum Subject: Sendable, Hashable {
        /// A sAMAccountName or userPrincipalName, compared ignoring case.
        case user(String)
        /// A DN pattern: `*` stands for any text (commas included), compared ignoring case.
        case distinguishedName(String)
    }

    public var code: FindingCode
    public var subject: Subject
    public var reason: String
    /// The first moment the exception no longer applies (the day after the file's date, 00:00 UTC).
    public var expires: Date
    /// Where it was written, as messages name it: `FILE line N`.
    public var place: String

    public init(code: FindingCode, subject: Subject, reason: String, expires: Date, place: String) {
        self.code = code
        self.subject = subject
        self.reason = reason
        self.expires = expires
        self.place = place
    }

    /// Whether this exception covers `finding` (expiry aside).
    public func covers(_ finding: Finding) -> Bool {
        guard finding.code == code, finding.scope == .user else { return false }
        switch subject {
        case .user(let name):
            let name = name.lowercased()
            return finding.samAccountName?.lowercased() == name || finding.userPrincipalName?.lowercased() == name
        case .distinguishedName(let pattern):
            guard let dn = finding.distinguishedName else { return false }
            return Wildcard.matches(Array(pattern.lowercased().unicodeScalars), Array(dn.lowercased().unicodeScalars))
        }
    }

    /// How the subject reads in messages.
    public var subjectText: String {
        switch subject {
        case .user(let name): "user \(name)"
        case .distinguishedName(let pattern): "dn \(pattern)"
        }
    }

    /// Marks every finding an exception in force covers as accepted (the first such exception,
    /// in file order); returns a warning for each exception that has expired at `now`: its
    /// findings count again.
    public static func apply(_ exceptions: [FindingException], to findings: inout [Finding], now: Date) -> [RunWarning] {
        let inForce = exceptions.filter { $0.expires > now }
        if !inForce.isEmpty {
            for index in findings.indices {
                if let exception = inForce.first(where: { $0.covers(findings[index]) }) {
                    findings[index].accepted = Acceptance(reason: exception.reason, expires: exception.expires, place: exception.place)
                }
            }
        }
        return exceptions.filter { $0.expires <= now }.map { exception in
            RunWarning(.exceptionExpired, "the exception at \(exception.place) (\(exception.code.rawValue), \(exception.subjectText)) expired on \(Timestamp.formatDay(exception.expires.addingTimeInterval(-1))): the findings it covered count again. Renew its expires date if the reason still holds, or remove it.")
        }
    }
}

/// Why a finding is accepted: the reason and expiry of the exception that covers it.
public struct Acceptance: Sendable, Hashable {
    public var reason: String
    public var expires: Date
    public var place: String
    public init(reason: String, expires: Date, place: String) {
        self.reason = reason
        self.expires = expires
        self.place = place
    }
}

/// `*` matching, iterative with one backtrack point: linear in practice, never exponential.
enum Wildcard {
    static func matches(_ pattern: [Unicode.Scalar], _ text: [Unicode.Scalar]) -> Bool {
        var p = 0, t = 0
        var star = -1, mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] != "*", pattern[p] == text[t] {
                p += 1; t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p; mark = t; p += 1
            } else if star >= 0 {
                p = star + 1; mark += 1; t = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
