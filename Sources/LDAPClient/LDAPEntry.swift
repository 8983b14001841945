public import Foundation

/// One search result entry, copied out of libldap's memory.
public struct LDAPEntry: Sendable, Hashable {
    public let dn: String
    /// Every value as the raw bytes the server sent (copied with `bv_len`, so binary values
    /// such as `objectGUID` and `objectSid` are intact). Names are as the server returned them.
    public let attributes: [String: [Data]]

    public init(dn: String, attributes: [String: [Data]]) {
        self.dn = dn
        self.attributes = attributes
    }

    /// The values of `name`, matched case-insensitively (LDAP attribute names are); empty
    /// when the entry does not have it.
    public func values(_ name: String) -> [Data] {
        if let values = attributes[name] { return values }
        for (key, values) in attributes where Self.sameName(key, name) {
            return values
        }
        return []
    }

    /// Attribute descriptions are ASCII (RFC 4512): compare them without Foundation's
    /// locale-aware machinery, which costs more than the rest of decoding an entry.
    static func sameName(_ a: String, _ b: String) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else { return false }
        return zip(x, y).allSatisfy { p, q in
            p == q || (p | 0x20 == q | 0x20 && (p | 0x20) >= UInt8(ascii: "a") && (p | 0x20) <= UInt8(ascii: "z"))
        }
    }

    /// The first value of `name`, or nil.
    public func first(_ name: String) -> Data? {
        values(name).first
    }

    /// The first value of `name` decoded as UTF-8, or nil when absent or not valid UTF-8.
    public func string(_ name: String) -> String? {
        first(name).flatMap { String(data: $0, encoding: .utf8) }
    }

    /// Every value of `name` decoded as UTF-8 (values that are not valid UTF-8 are left out).
    public func strings(_ name: String) -> [String] {
        values(name).compactMap { String(data: $0, encoding: .utf8) }
    }
}

/// Progress of a paged search, reported after each page.
public struct LDAPPageInfo: Sendable, Hashable {
    /// 1-based number of the page just finished.
    public let page: Int
    /// Entries delivered so far, this page included (continuation references not counted).
    public let entriesSoFar: Int

    public init(page: Int, entriesSoFar: Int) {
        self.page = page
        self.entriesSoFar = entriesSoFar
    }
}
