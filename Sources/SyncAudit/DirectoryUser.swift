public import Foundation

/// One user as read from Active Directory (live over LDAP or from a snapshot).
///
/// Values are already decoded: times are `Date`s in UTC, binary identifiers are kept as the
/// raw bytes the directory returned, and anything that was missing or malformed is `nil`
/// with a sentence in `notes` saying what and why.
public struct DirectoryUser: Sendable, Hashable {
    public var distinguishedName: String
    public var samAccountName: String
    public var userPrincipalName: String?
    /// The 16 raw bytes of `objectGUID`.
    public var objectGUID: ObjectGUID?
    /// The raw bytes of `mS-DS-ConsistencyGuid`, when set.
    public var consistencyGuid: Data?
    /// `objectSid` in `S-1-5-21-...` form.
    public var objectSid: String?
    public var pwdLastSet: PasswordLastSet
    public var userAccountControl: UserAccountControl
    /// `nil` = the account never expires (`0` or `9223372036854775807`).
    public var accountExpires: Date?
    /// From `msDS-User-Account-Control-Computed`; `nil` when the DC did not return it.
    public var lockedOut: Bool?
    public var passwordExpired: Bool?
    public var whenChanged: Date?
    public var uSNChanged: Int64?
    public var adminDescription: String?
    /// The object's structural class, the most specific value of `objectClass` (`user`, or
    /// `inetOrgPerson`); nil when not read (a snapshot taken before phs-check recorded it).
    public var structuralClass: String?
    /// The last originating change of `unicodePwd` from `replPropertyMetaData`.
    public var unicodePwdLastChanged: Date?
    /// One sentence per attribute that was missing or could not be decoded.
    public var notes: [String]
    /// The name of the domain it was read from (`DirectoryDomain.name`); nil in a run that
    /// names no domains.
    public var domain: String?

    public init(
        distinguishedName: String,
        samAccountName: String,
        userPrincipalName: String? = nil,
        objectGUID: ObjectGUID? = nil,
        consistencyGuid: Data? = nil,
        objectSid: String? = nil,
        pwdLastSet: PasswordLastSet = .absent,
        userAccountControl: UserAccountControl = .normalAccount,
        accountExpires: Date? = nil,
        lockedOut: Bool? = nil,
        passwordExpired: Bool? = nil,
        whenChanged: Date? = nil,
        uSNChanged: Int64? = nil,
        adminDescription: String? = nil,
        structuralClass: String? = nil,
        unicodePwdLastChanged: Date? = nil,
        notes: [String] = [],
        domain: String? = nil
    ) {
        self.distinguishedName = distinguishedName
        self.samAccountName = samAccountName
        self.userPrincipalName = userPrincipalName
        self.objectGUID = objectGUID
        self.consistencyGuid = consistencyGuid
        self.objectSid = objectSid
        self.pwdLastSet = pwdLastSet
        self.userAccountControl = userAccountControl
        self.accountExpires = accountExpires
        self.lockedOut = lockedOut
        self.passwordExpired = passwordExpired
        self.whenChanged = whenChanged
        self.uSNChanged = uSNChanged
        self.adminDescription = adminDescription
        self.structuralClass = structuralClass
        self.unicodePwdLastChanged = unicodePwdLastChanged
        self.notes = notes
        self.domain = domain
    }

    /// Enabled in AD: the ACCOUNTDISABLE bit (0x2) is clear.
    public var isEnabled: Bool { !userAccountControl.contains(.accountDisable) }

    /// The immutable ID Entra Connect gives this user: base64 of `mS-DS-ConsistencyGuid` when
    /// set, else of `objectGUID`.
    public var sourceAnchor: String? {
        consistencyGuid?.base64EncodedString() ?? objectGUID?.base64
    }

    /// `objectClass` names `inetOrgPerson`: an object password hash sync does not support.
    public var isInetOrgPerson: Bool {
        structuralClass?.caseInsensitiveCompare("inetOrgPerson") == .orderedSame
    }
}

/// The state of `pwdLastSet`.
public enum PasswordLastSet: Sendable, Hashable {
    /// The attribute was not returned: the password was never set.
    case absent
    /// `0`: the user must change the password at next logon (a temporary password).
    case mustChange
    /// A real FILETIME, with the raw value kept for the snapshot.
    case set(Date, raw: Int64)

    /// The raw FILETIME value as the directory stores it, `nil` when absent.
    public var raw: Int64? {
        switch self {
        case .absent: nil
        case .mustChange: 0
        case .set(_, let raw): raw
        }
    }

    /// The time the password was last set, when there is one.
    public var date: Date? {
        if case .set(let date, _) = self { date } else { nil }
    }
}

/// The 16 raw bytes of an `objectGUID` (or any AD GUID), held inline (two words, no heap
/// array): a million users' GUIDs are keys of the join.
///
/// In the text form Data1..Data3 are little-endian, so the bytes are not in text order.
public struct ObjectGUID: Sendable, Hashable {
    /// Bytes 0–7 and 8–15, each loaded little-endian.
    private let low: UInt64
    private let high: UInt64

    /// The bytes in the directory's order.
    public var bytes: [UInt8] { (0..<16).map(byte) }

    /// Byte `i` (0–15) in the directory's order.
    private func byte(_ i: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (i < 8 ? low : high) >> (8 * UInt64(i % 8)))
    }

    /// `nil` unless exactly 16 bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        // Contiguous bytes (Data, arrays) are loaded as two words; anything else byte by byte.
        let words = bytes.withContiguousStorageIfAvailable { b in
            (UnsafeRawPointer(b.baseAddress!).loadUnaligned(as: UInt64.self),
             UnsafeRawPointer(b.baseAddress! + 8).loadUnaligned(as: UInt64.self))
        }
        if let words {
            low = UInt64(littleEndian: words.0)
            high = UInt64(littleEndian: words.1)
        } else {
            var low: UInt64 = 0, high: UInt64 = 0
            for (i, byte) in bytes.enumerated() { Self.place(byte, at: i, &low, &high) }
            self.low = low
            self.high = high
        }
    }

    /// Parses the text form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (case-insensitive).
    public init?(uuidString: String) {
        var text = uuidString
        guard let guid = text.withUTF8({ Self.parseUUID($0) }) else { return nil }
        self = guid
    }

    /// The text form read from bytes in place (the snapshot reader's path).
    static func parseUUID(_ u: UnsafeBufferPointer<UInt8>) -> ObjectGUID? {
        guard u.count == 36, u[8] == 0x2D, u[13] == 0x2D, u[18] == 0x2D, u[23] == 0x2D else { return nil }
        var low: UInt64 = 0, high: UInt64 = 0
        var n = 0, i = 0
        while i < 36 {
            if i == 8 || i == 13 || i == 18 || i == 23 { i += 1; continue }
            guard let hi = hexValue(u[i]), let lo = hexValue(u[i + 1]) else { return nil }
            // The n-th byte of the text is byte textOrder[n] of the GUID.
            place(hi << 4 | lo, at: textOrder[n], &low, &high)
            n += 1
            i += 2
        }
        return ObjectGUID(low: low, high: high)
    }

    /// Puts byte `index` (0–15, the directory's order) of a GUID being built into its word.
    private static func place(_ byte: UInt8, at index: Int, _ low: inout UInt64, _ high: inout UInt64) {
        let value = UInt64(byte) << (8 * UInt64(index % 8))
        if index < 8 { low |= value } else { high |= value }
    }

    private init(low: UInt64, high: UInt64) {
        self.low = low
        self.high = high
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }

    /// Parses the base64 of the raw bytes (the form of Entra's `onPremisesImmutableId`).
    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64) else { return nil }
        self.init(bytes: data)
    }

    /// The GUID whose `base64` is exactly `text`: 24 characters of canonical base64 (padding
    /// `==`, unused bits zero), else nil. The join keys immutable IDs by it, so a text that is
    /// not the canonical form of 16 bytes keeps being compared as text.
    public init?(canonicalBase64 text: String) {
        var text = text
        guard let guid = text.withUTF8({ u -> ObjectGUID? in
            guard u.count == 24, u[22] == 0x3D, u[23] == 0x3D else { return nil }
            // 22 characters of 6 bits: 16 bytes and 4 bits that must be zero.
            var low: UInt64 = 0, high: UInt64 = 0
            var bits: UInt32 = 0, count = 0, byteIndex = 0
            for i in 0..<22 {
                guard let value = Self.base64Value(u[i]) else { return nil }
                bits = bits << 6 | UInt32(value)
                count += 6
                if count >= 8 {
                    count -= 8
                    Self.place(UInt8(truncatingIfNeeded: bits >> UInt32(count)), at: byteIndex, &low, &high)
                    byteIndex += 1
                }
            }
            // Canonical: the bits left over after the 16th byte are zero.
            guard byteIndex == 16, bits & ((1 << UInt32(count)) - 1) == 0 else { return nil }
            return ObjectGUID(low: low, high: high)
        }) else { return nil }
        self = guid
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static func base64Value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x41...0x5A: c - 0x41
        case 0x61...0x7A: c - 0x61 + 26
        case 0x30...0x39: c - 0x30 + 52
        case 0x2B: 62
        case 0x2F: 63
        default: nil
        }
    }

    /// Lower-case text form, as `ldapsearch`-based tools and PowerShell show it.
    public var uuidString: String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            var i = 0
            for (n, index) in Self.textOrder.enumerated() {
                if n == 4 || n == 6 || n == 8 || n == 10 { buffer[i] = UInt8(ascii: "-"); i += 1 }
                let byte = byte(index)
                buffer[i] = Self.hexDigits[Int(byte >> 4)]
                buffer[i + 1] = Self.hexDigits[Int(byte & 0xF)]
                i += 2
            }
            return i
        }
    }

    /// The bytes in the order the text form shows them.
    private static let textOrder = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15]
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Base64 of the raw bytes: what Entra stores as `onPremisesImmutableId`.
    public var base64: String {
        let alphabet = Self.base64Alphabet
        func b(_ i: Int) -> UInt8 { i < 16 ? byte(i) : 0 }
        return String(unsafeUninitializedCapacity: 24) { out in
            var o = 0
            for i in stride(from: 0, to: 18, by: 3) {
                let v = UInt32(b(i)) << 16 | UInt32(b(i + 1)) << 8 | UInt32(b(i + 2))
                for shift in [18, 12, 6, 0] { out[o] = alphabet[Int(v >> UInt32(shift) & 63)]; o += 1 }
            }
            out[22] = 0x3D
            out[23] = 0x3D
            return 24
        }
    }
}
