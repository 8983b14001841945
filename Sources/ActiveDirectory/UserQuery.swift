public import SyncAudit
import Foundation
import LDAPClient

/// The LDAP search for users: `(&(objectCategory=person)(objectClass=user))`, ANDed with an
/// optional extra filter (`--filter`), requesting `DirectoryUser.Attribute.all`.
public struct UserQuery: Sendable, Hashable {
    /// What makes an entry a user object (not contacts, not computers: `objectCategory=person`).
    private static let userConditions = "(objectCategory=person)(objectClass=user)"

    /// Every user object.
    public static let userFilter = "(&\(userConditions))"

    /// The attributes requested for each user.
    public static let attributes = DirectoryUser.Attribute.all

    /// The extra filter as it will be sent (parenthesised), `nil` when there is none.
    public let extraFilter: String?

    /// The whole filter to send.
    public var filter: String {
        guard let extraFilter else { return Self.userFilter }
        return "(&\(Self.userConditions)\(extraFilter))"
    }

    public var attributes: [String] { Self.attributes }

    /// Every user, no extra filter.
    public static let allUsers = UserQuery(validated: nil)

    /// `extraFilter` is checked against RFC 4515; a bare `a=b` is wrapped in parentheses,
    /// blank means none.
    public init(extraFilter: String? = nil) throws(FilterError) {
        self.extraFilter = try extraFilter.flatMap { text throws(FilterError) in try Self.normalize(extraFilter: text) }
    }

    /// An `--filter` value made ready to AND into the user filter: trimmed, a bare item
    /// wrapped in parentheses, checked. `nil` for a blank value.
    public static func normalize(extraFilter text: String) throws(FilterError) -> String? {
        let trimmed = text.trimmingASCIIWhitespace
        guard !trimmed.isEmpty else { return nil }
        let filter = trimmed.hasPrefix("(") ? trimmed : "(" + trimmed + ")"
        try FilterSyntax.validate(filter)
        return filter
    }

    private init(validated: String?) { extraFilter = validated }

    /// Why a `--filter` value was refused.
    public struct FilterError: Error, Sendable, Hashable, CustomStringConvertible {
        public var filter: String
        public var reason: String
        /// 0-based character offset in the checked filter, when known.
        public var offset: Int?

        public var description: String {
            let at = offset.map { " at character \($0 + 1)" } ?? ""
            return "--filter \"\(filter)\": \(reason)\(at)"
        }
    }
}

/// How `phs-check explain USER` names a user.
public enum UserIdentity: Sendable, Hashable {
    case samAccountName(String)
    case userPrincipalName(String)
    case distinguishedName(String)
    case objectGUID(ObjectGUID)
    case objectSid(String)

    /// Guesses the kind: a GUID (text, braces or not), `S-1-...`, a DN (`x=y,...`), a UPN
    /// (contains `@`), else a sAMAccountName (a `DOMAIN\` prefix is dropped).
    public init(_ text: String) {
        let t = text.trimmingASCIIWhitespace
        if let guid = ObjectGUID(uuidText: t) {
            self = .objectGUID(guid)
        } else if let sid = try? SecurityIdentifier(string: t), sid.subAuthorities.count > 0 {
            self = .objectSid(sid.description)
        } else if t.contains("="), let dn = DistinguishedName(t), !dn.rdns.isEmpty {
            self = .distinguishedName(t)
        } else if t.contains("@") {
            self = .userPrincipalName(t)
        } else if let slash = t.lastIndex(of: "\\") {
            self = .samAccountName(String(t[t.index(after: slash)...]))
        } else {
            self = .samAccountName(t)
        }
    }

    /// Whether this name designates `user` (`explain` picks its user from the users in scope):
    /// names compare case-insensitively, a DN by its normalized form, a SID in any letter case.
    public func matches(_ user: DirectoryUser) -> Bool {
        switch self {
        case .samAccountName(let name):
            user.samAccountName.caseInsensitiveCompare(name) == .orderedSame
        case .userPrincipalName(let upn):
            user.userPrincipalName?.caseInsensitiveCompare(upn) == .orderedSame
        case .distinguishedName(let dn):
            DistinguishedName(dn).map { DistinguishedName(user.distinguishedName) == $0 } ?? false
        case .objectGUID(let guid):
            user.objectGUID == guid
        case .objectSid(let sid):
            user.objectSid?.caseInsensitiveCompare(sid) == .orderedSame
        }
    }
}

extension String {
    var trimmingASCIIWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\n" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\n" || c == "\r" { s = s.dropLast() }
        return String(s)
    }
}

/// A recursive-descent check of RFC 4515 filter syntax, so that a typo in `--filter` is
/// reported before the search instead of as a server's "bad search filter".
enum FilterSyntax {
    static func validate(_ filter: String) throws(UserQuery.FilterError) {
        var parser = Parser(u: Array(filter.utf8), text: filter)
        try parser.filter()
        if parser.i < parser.u.count {
            throw parser.fail(parser.u[parser.i] == UInt8(ascii: "(")
                ? "more than one filter; combine them with (&...) or (|...)"
                : "unexpected text after the filter")
        }
    }

    struct Parser {
        let u: [UInt8]
        let text: String
        var i = 0

        func fail(_ reason: String) -> UserQuery.FilterError {
            UserQuery.FilterError(filter: text, reason: reason, offset: min(i, u.count))
        }

        mutating func expect(_ c: Character) throws(UserQuery.FilterError) {
            guard i < u.count else { throw fail("missing \"\(c)\" at the end (unbalanced parentheses?)") }
            guard u[i] == c.asciiValue else { throw fail("expected \"\(c)\"") }
            i += 1
        }

        mutating func filter() throws(UserQuery.FilterError) {
            try expect("(")
            guard i < u.count else { throw fail("missing \")\" at the end (unbalanced parentheses?)") }
            switch u[i] {
            case UInt8(ascii: "&"), UInt8(ascii: "|"):
                i += 1
                // RFC 4526 allows the empty (&) and (|).
                while i < u.count, u[i] == UInt8(ascii: "(") { try filter() }
            case UInt8(ascii: "!"):
                i += 1
                guard i < u.count, u[i] == UInt8(ascii: "(") else { throw fail("\"!\" must be followed by one parenthesised filter") }
                try filter()
            case UInt8(ascii: ")"):
                throw fail("empty filter \"()\"")
            default:
                try item()
            }
            try expect(")")
        }

        static func isDescriptionChar(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: ";")
        }

        /// attr (= | ~= | >= | <=) value, attr=*, substrings, or extensible match.
        mutating func item() throws(UserQuery.FilterError) {
            let start = i
            while i < u.count, Self.isDescriptionChar(u[i]) { i += 1 }
            let attribute = String(decoding: u[start..<i], as: UTF8.self)
            let baseName = attribute.split(separator: ";", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if baseName.lowercased() == DirectoryUser.Attribute.accountControlComputed.lowercased() {
                i = start
                throw fail("msDS-User-Account-Control-Computed is constructed and cannot be used in a filter; filter on userAccountControl instead")
            }
            guard i < u.count else { throw fail("missing \")\" at the end (unbalanced parentheses?)") }
            if u[i] == UInt8(ascii: ":") {
                // [":dn"] [":" matchingrule] ":="
                while i < u.count, u[i] == UInt8(ascii: ":") {
                    i += 1
                    if i < u.count, u[i] == UInt8(ascii: "=") { break }
                    let partStart = i
                    while i < u.count, Self.isDescriptionChar(u[i]) { i += 1 }
                    guard i > partStart else { throw fail("malformed extensible match (expected attr:dn:rule:=value)") }
                }
                guard i < u.count, u[i] == UInt8(ascii: "=") else { throw fail("malformed extensible match (expected :=)") }
                i += 1
            } else {
                guard !attribute.isEmpty else {
                    throw fail(u[i] == UInt8(ascii: "(") ? "a nested filter needs \"&\", \"|\" or \"!\" before it" : "missing attribute name")
                }
                switch u[i] {
                case UInt8(ascii: "="):
                    i += 1
                case UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "<"):
                    guard i + 1 < u.count, u[i + 1] == UInt8(ascii: "=") else { throw fail("expected \"=\" after \"\(Character(Unicode.Scalar(u[i])))\"") }
                    i += 2
                default:
                    throw fail(u[i] == UInt8(ascii: ")") ? "\"\(attribute)\" has no \"=value\"" : "unexpected character in attribute name \"\(attribute)\"")
                }
            }
            try value()
        }

        /// Assertion value: anything but unescaped parentheses and NUL; `\` takes two hex digits.
        mutating func value() throws(UserQuery.FilterError) {
            while i < u.count, u[i] != UInt8(ascii: ")") {
                switch u[i] {
                case UInt8(ascii: "("):
                    throw fail("unescaped \"(\" in a value (write \\28)")
                case 0:
                    throw fail("NUL in a value (write \\00)")
                case UInt8(ascii: "\\"):
                    guard i + 2 < u.count, Self.isHex(u[i + 1]), Self.isHex(u[i + 2]) else {
                        throw fail("\"\\\" must be followed by two hex digits (\\5c for a backslash)")
                    }
                    i += 3
                default:
                    i += 1
                }
            }
        }

        static func isHex(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
        }
    }
}
