public import Foundation
public import SyncAudit

/// Decoders for the AD attribute values phs-check reads, one pure function per attribute.
///
/// Each takes the value as LDAP returns it (a decimal string, GeneralizedTime text or raw
/// bytes) and either returns the decoded value or throws an `AttributeDecodeError` naming
/// the attribute and the problem. None of them traps on any input.
public enum ADDecoder {
    // MARK: Text and integers

    /// The value as UTF-8 text (every LDAP string syntax is UTF-8).
    public static func text(_ value: Data, attribute: String) throws(AttributeDecodeError) -> String {
        guard let text = String(bytes: value, encoding: .utf8) else {
            throw AttributeDecodeError(attribute: attribute, reason: "not UTF-8 text (\(AttributeDecodeError.byteCount(value.count)))")
        }
        return text
    }

    /// A decimal INTEGER (RFC 4517 3.3.16): optional `-`, digits, fitting in 64 bits.
    public static func integer(_ text: String, attribute: String) throws(AttributeDecodeError) -> Int64 {
        let u = Array(text.utf8)
        guard !u.isEmpty else {
            throw AttributeDecodeError(attribute: attribute, reason: "empty value, expected a decimal integer")
        }
        let digits = u.first == UInt8(ascii: "-") || u.first == UInt8(ascii: "+") ? u.dropFirst() : u[...]
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw AttributeDecodeError(attribute: attribute, reason: "\(AttributeDecodeError.quote(text)) is not a decimal integer")
        }
        guard let value = Int64(text) else {
            throw AttributeDecodeError(attribute: attribute, reason: "\(AttributeDecodeError.quote(text)) is out of range for a 64-bit integer")
        }
        return value
    }

    // MARK: FILETIME

    /// A FILETIME (100 ns ticks since 1601-01-01 UTC) as a decimal string, to a `Date`.
    /// Negative values are rejected; `0` is 1601-01-01 (callers give it its attribute's meaning).
    public static func fileTime(_ text: String, attribute: String) throws(AttributeDecodeError) -> Date {
        try fileTime(ticks: integer(text, attribute: attribute), attribute: attribute)
    }

    /// FILETIME ticks to a `Date` (`FileTime`); the one place that rejects negative ticks.
    static func fileTime(ticks: Int64, attribute: String) throws(AttributeDecodeError) -> Date {
        guard ticks >= 0 else {
            throw AttributeDecodeError(attribute: attribute, reason: "\(ticks) is negative, not a FILETIME")
        }
        let date = FileTime.date(fromTicks: ticks)
        guard Snapshot.timeRange.contains(date) else {
            throw AttributeDecodeError(attribute: attribute, reason: "\(ticks) is after the year 9999, not a time phs-check can record")
        }
        return date
    }

    /// `pwdLastSet`: absent (`nil`) → `.absent`, `0` → `.mustChange`, else `.set`.
    ///
    /// `-1` is what a client writes to mean "now"; the DC stores the current time instead,
    /// so `-1` (or any negative value) read back is malformed.
    public static func pwdLastSet(_ text: String?) throws(AttributeDecodeError) -> PasswordLastSet {
        guard let text else { return .absent }
        let ticks = try integer(text, attribute: "pwdLastSet")
        switch ticks {
        case 0:
            return .mustChange
        case -1:
            throw AttributeDecodeError(attribute: "pwdLastSet", reason: "-1 is only ever written (meaning \"now\"), a DC never stores it")
        default:
            return try .set(fileTime(ticks: ticks, attribute: "pwdLastSet"), raw: ticks)
        }
    }

    /// The `accountExpires` value meaning "never": `0x7FFFFFFFFFFFFFFF`.
    public static let accountNeverExpires: Int64 = .max

    /// `accountExpires`: `0` and `9223372036854775807` mean never (`nil`), else the expiry time.
    public static func accountExpires(_ text: String) throws(AttributeDecodeError) -> Date? {
        let ticks = try integer(text, attribute: "accountExpires")
        if ticks == 0 || ticks == accountNeverExpires { return nil }
        return try fileTime(ticks: ticks, attribute: "accountExpires")
    }

    // MARK: userAccountControl

    /// `userAccountControl` (or any 32-bit flags attribute): a decimal string that AD may
    /// write in signed 32-bit form (`-2147483134` is `0x80000202`).
    public static func userAccountControl(_ text: String, attribute: String = "userAccountControl") throws(AttributeDecodeError) -> UserAccountControl {
        let value = try integer(text, attribute: attribute)
        guard value >= Int64(Int32.min), value <= Int64(UInt32.max) else {
            throw AttributeDecodeError(attribute: attribute, reason: "\(value) does not fit in 32 bits")
        }
        return UserAccountControl(rawValue: UInt32(truncatingIfNeeded: value))
    }

    /// `msDS-User-Account-Control-Computed`: lockout (0x10) and password expiry (0x800000)
    /// as the DC computes them (the stored `userAccountControl` bits do not show them).
    public static func accountControlComputed(_ text: String) throws(AttributeDecodeError) -> (lockedOut: Bool, passwordExpired: Bool) {
        let flags = try userAccountControl(text, attribute: "msDS-User-Account-Control-Computed")
        return (flags.contains(.lockout), flags.contains(.passwordExpired))
    }

    // MARK: GUIDs and SIDs

    /// `objectGUID`: 16 raw bytes. For directories that store it as text, the uuid form
    /// (36 characters, optionally in braces) and the base64 of the raw bytes (24) are read too.
    public static func objectGUID(_ value: Data, attribute: String = "objectGUID") throws(AttributeDecodeError) -> ObjectGUID {
        if let guid = ObjectGUID(bytes: value) { return guid }
        if value.count == 36 || value.count == 38 || value.count == 24, let text = String(bytes: value, encoding: .utf8) {
            if let guid = ObjectGUID(uuidText: text) { return guid }
            if text.count == 24, let guid = ObjectGUID(base64: text) { return guid }
        }
        throw AttributeDecodeError(attribute: attribute, reason: "\(AttributeDecodeError.byteCount(value.count)), expected 16")
    }

    /// `mS-DS-ConsistencyGuid`: the raw bytes, which Entra Connect sets to the 16 bytes of
    /// `objectGUID`. Any other length throws (the caller may keep the bytes anyway: the
    /// cloud anchor is the base64 of whatever is stored).
    public static func consistencyGuid(_ value: Data) throws(AttributeDecodeError) -> Data {
        guard value.count == 16 else {
            throw AttributeDecodeError(attribute: "mS-DS-ConsistencyGuid", reason: "\(AttributeDecodeError.byteCount(value.count)), expected 16")
        }
        return value
    }

    /// `objectSid` to `S-1-5-21-...`. Binary form ([MS-DTYP] 2.4.2.2); text `S-1-...` is
    /// accepted too, for directories that store it as a string.
    public static func objectSid(_ value: Data) throws(AttributeDecodeError) -> String {
        if value.first == UInt8(ascii: "S") || value.first == UInt8(ascii: "s") {
            return try SecurityIdentifier(string: text(value, attribute: "objectSid")).description
        }
        return try SecurityIdentifier(bytes: value).description
    }

    // MARK: Times and metadata

    /// `whenChanged` / `whenCreated` and other GeneralizedTime attributes.
    public static func generalizedTime(_ text: String, attribute: String) throws(AttributeDecodeError) -> Date {
        try GeneralizedTime.parse(text, attribute: attribute)
    }

    /// `replPropertyMetaData`, the binary blob.
    public static func replPropertyMetaData(_ value: Data) throws(AttributeDecodeError) -> ReplPropertyMetaData {
        try ReplPropertyMetaData(blob: value)
    }
}

extension ObjectGUID {
    /// The text form with or without braces (`{4f8b06d5-...}`, as AD tools print it), or nil.
    init?(uuidText text: String) {
        var t = Substring(text)
        if t.count == 38, t.first == "{", t.last == "}" { t = t.dropFirst().dropLast() }
        guard t.count == 36 else { return nil }
        self.init(uuidString: String(t))
    }
}
