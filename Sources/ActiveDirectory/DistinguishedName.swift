import Foundation

/// A parsed LDAP distinguished name (RFC 4514), enough to take the value of the first RDN
/// and to tell whether one DN lies under another.
///
/// Attribute types and values compare case-insensitively (AD's DN syntax does), escapes
/// (`\,` `\2C` ...) are undone and unescaped spaces around separators are dropped, so
/// `OU=Sales, DC=Example,DC=com` equals `ou=sales,dc=example,dc=com`.
public struct DistinguishedName: Sendable, Hashable, CustomStringConvertible {
    public struct Attribute: Sendable, Hashable {
        public var type: String
        public var value: String
    }

    /// The RDNs from the leaf to the root; each RDN is one or more `type=value` (joined by `+`).
    public let rdns: [[Attribute]]
    public let description: String

    /// RFC 4514 `attributeType`: a descr (`ALPHA *(ALPHA / DIGIT / "-")`) or a numeric OID.
    static func isAttributeType(_ t: String) -> Bool {
        let u = Array(t.utf8)
        guard let first = u.first else { return false }
        func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        if isAlpha(first) { return u.allSatisfy { isAlpha($0) || isDigit($0) || $0 == 0x2D } }
        return u.allSatisfy { isDigit($0) || $0 == 0x2E } && !t.hasPrefix(".") && !t.hasSuffix(".") && !t.contains("..")
    }

    /// `nil` when `text` is not a DN (no `=` in an RDN, a dangling escape, ...). `""` is the root.
    public init?(_ text: String) {
        description = text
        var rdns: [[Attribute]] = []
        var rdn: [Attribute] = []
        var type: [UInt8] = []
        var value: [UInt8] = []
        var inValue = false
        // Length of `value` up to its last character that was escaped or not a space,
        // so trailing unescaped spaces can be cut.
        var significant = 0
        let u = Array(text.utf8)
        if u.allSatisfy({ $0 == 0x20 }) { self.rdns = []; return }

        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        func finishAttribute() -> Bool {
            let t = String(decoding: type, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard inValue, Self.isAttributeType(t) else { return false }
            rdn.append(Attribute(type: t, value: String(decoding: value[..<significant], as: UTF8.self)))
            type = []; value = []; inValue = false; significant = 0
            return true
        }

        var i = 0
        while i < u.count {
            let c = u[i]
            if !inValue {
                if c == UInt8(ascii: "=") {
                    inValue = true
                    // Leading spaces of a value are not part of it.
                    i += 1
                    while i < u.count, u[i] == 0x20 { i += 1 }
                    continue
                }
                guard c != UInt8(ascii: ","), c != UInt8(ascii: "+"), c != UInt8(ascii: ";") else { return nil }
                type.append(c)
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: "\\"):
                guard i + 1 < u.count else { return nil }
                if let h = hex(u[i + 1]) {
                    guard i + 2 < u.count, let l = hex(u[i + 2]) else { return nil }
                    value.append(h << 4 | l)
                    i += 3
                } else {
                    value.append(u[i + 1])
                    i += 2
                }
                significant = value.count
            case UInt8(ascii: ","), UInt8(ascii: ";"):
                guard finishAttribute() else { return nil }
                rdns.append(rdn)
                rdn = []
                i += 1
            case UInt8(ascii: "+"):
                guard finishAttribute() else { return nil }
                i += 1
            default:
                value.append(c)
                if c != 0x20 { significant = value.count }
                i += 1
            }
        }
        guard finishAttribute() else { return nil }
        rdns.append(rdn)
        self.rdns = rdns
    }

    /// The value of the first attribute of the leaf RDN (`alice` for `CN=alice,CN=Users,...`).
    public var firstValue: String? { rdns.first?.first?.value }

    /// The comparable form: types and values lower-cased.
    var normalized: [[Attribute]] {
        rdns.map { rdn in
            rdn.map { Attribute(type: $0.type.lowercased(), value: $0.value.lowercased()) }
                .sorted { ($0.type, $0.value) < ($1.type, $1.value) }
        }
    }

    /// True when `self` is `other` or lies in its subtree.
    public func isWithin(_ other: DistinguishedName) -> Bool {
        let mine = normalized
        let theirs = other.normalized
        guard theirs.count <= mine.count else { return false }
        return Array(mine.suffix(theirs.count)) == theirs
    }

    public static func == (a: Self, b: Self) -> Bool { a.normalized == b.normalized }
    public func hash(into hasher: inout Hasher) { hasher.combine(normalized) }
}
