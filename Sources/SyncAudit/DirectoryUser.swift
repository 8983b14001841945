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

    /// `adminDescription` is `PHSFiltered`: selective password hash sync excludes this user.
    public var isExcludedFromPHS: Bool {
        adminDescription?.caseInsensitiveCompare("PHSFiltered") == .orderedSame
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

/// The 16 raw bytes of an `objectGUID` (or any AD GUID).
///
/// In the text form Data1..Data3 are little-endian, so the bytes are not in text order.
public struct ObjectGUID: Sendable, Hashable {
    public let bytes: [UInt8]

    /// `nil` unless exactly 16 bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        self.bytes = Array(bytes)
    }

    /// Parses the text form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (case-insensitive).
    public init?(uuidString: String) {
        guard let uuid = UUID(uuidString: uuidString) else { return nil }
        let u = uuid.uuid
        let textOrder = [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
        self.bytes = [textOrder[3], textOrder[2], textOrder[1], textOrder[0], textOrder[5], textOrder[4],
                      textOrder[7], textOrder[6]] + textOrder[8...]
    }

    /// Parses the base64 of the raw bytes (the form of Entra's `onPremisesImmutableId`).
    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64) else { return nil }
        self.init(bytes: data)
    }

    /// Lower-case text form, as `ldapsearch`-based tools and PowerShell show it.
    public var uuidString: String {
        let hex = Array("0123456789abcdef".utf8)
        let b = bytes
        let textOrder = [b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]] + b[8...]
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var i = 0
            for (n, byte) in textOrder.enumerated() {
                if n == 4 || n == 6 || n == 8 || n == 10 { buffer[i] = UInt8(ascii: "-"); i += 1 }
                buffer[i] = hex[Int(byte >> 4)]
                buffer[i + 1] = hex[Int(byte & 0xF)]
                i += 2
            }
            return i
        }
    }

    /// Base64 of the raw bytes: what Entra stores as `onPremisesImmutableId`.
    public var base64: String { Data(bytes).base64EncodedString() }
}
