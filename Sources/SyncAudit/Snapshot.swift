public import Foundation

/// The `collect` snapshot: JSON Lines, a header line then one user per line
/// (DESIGN.md "Snapshot"; `shared/schema/snapshot-*.schema.json`).
///
/// Pure encoding and decoding of single lines; reading and writing files is the caller's.
public enum Snapshot {
    public static let kind = "phs-check/ad-snapshot"
    public static let version = 1

    public struct Header: Codable, Sendable, Hashable {
        public var kind: String
        public var version: Int
        public var collectedAt: String
        public var server: String
        public var baseDN: String

        public init(collectedAt: Date, server: String, baseDN: String) {
            self.kind = Snapshot.kind
            self.version = Snapshot.version
            self.collectedAt = Timestamp.format(collectedAt)
            self.server = server
            self.baseDN = baseDN
        }
    }

    /// One user line, field for field as DESIGN.md names them.
    struct UserLine: Codable {
        var distinguishedName: String
        var samAccountName: String
        var userPrincipalName: String?
        var objectGUID: String?
        var objectGUIDBase64: String?
        var consistencyGuid: String?
        var objectSid: String?
        var pwdLastSet: String?
        var pwdLastSetRaw: String?
        var mustChangePassword: Bool
        var userAccountControl: UInt32
        var flags: [String]
        var enabled: Bool
        var accountExpires: String?
        var lockedOut: Bool?
        var passwordExpired: Bool?
        var whenChanged: String?
        var uSNChanged: Int64?
        var adminDescription: String?
        var unicodePwdLastChanged: String?
        var notes: [String]?

        // Encode nulls explicitly: a reader sees every field of the contract on every line.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(distinguishedName, forKey: .distinguishedName)
            try c.encode(samAccountName, forKey: .samAccountName)
            try c.encode(userPrincipalName, forKey: .userPrincipalName)
            try c.encode(objectGUID, forKey: .objectGUID)
            try c.encode(objectGUIDBase64, forKey: .objectGUIDBase64)
            try c.encode(consistencyGuid, forKey: .consistencyGuid)
            try c.encode(objectSid, forKey: .objectSid)
            try c.encode(pwdLastSet, forKey: .pwdLastSet)
            try c.encode(pwdLastSetRaw, forKey: .pwdLastSetRaw)
            try c.encode(mustChangePassword, forKey: .mustChangePassword)
            try c.encode(userAccountControl, forKey: .userAccountControl)
            try c.encode(flags, forKey: .flags)
            try c.encode(enabled, forKey: .enabled)
            try c.encode(accountExpires, forKey: .accountExpires)
            try c.encode(lockedOut, forKey: .lockedOut)
            try c.encode(passwordExpired, forKey: .passwordExpired)
            try c.encode(whenChanged, forKey: .whenChanged)
            try c.encode(uSNChanged, forKey: .uSNChanged)
            try c.encode(adminDescription, forKey: .adminDescription)
            try c.encode(unicodePwdLastChanged, forKey: .unicodePwdLastChanged)
            if let notes, !notes.isEmpty { try c.encode(notes, forKey: .notes) }
        }
    }

    /// A snapshot line that could not be read, with its 1-based line number.
    public struct LineError: Error, Sendable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    private static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The header as one JSON line (no trailing newline).
    public static func encode(_ header: Header) throws -> Data {
        try makeEncoder().encode(header)
    }

    /// One user as one JSON line (no trailing newline).
    public static func encode(_ user: DirectoryUser) throws -> Data {
        let line = UserLine(
            distinguishedName: user.distinguishedName,
            samAccountName: user.samAccountName,
            userPrincipalName: user.userPrincipalName,
            objectGUID: user.objectGUID?.uuidString,
            objectGUIDBase64: user.objectGUID?.base64,
            consistencyGuid: user.consistencyGuid?.base64EncodedString(),
            objectSid: user.objectSid,
            pwdLastSet: user.pwdLastSet.date.map(Timestamp.format),
            pwdLastSetRaw: user.pwdLastSet.raw.map { String($0) },
            mustChangePassword: user.pwdLastSet == .mustChange,
            userAccountControl: user.userAccountControl.rawValue,
            flags: user.userAccountControl.names,
            enabled: user.isEnabled,
            accountExpires: user.accountExpires.map(Timestamp.format),
            lockedOut: user.lockedOut,
            passwordExpired: user.passwordExpired,
            whenChanged: user.whenChanged.map(Timestamp.format),
            uSNChanged: user.uSNChanged,
            adminDescription: user.adminDescription,
            unicodePwdLastChanged: user.unicodePwdLastChanged.map(Timestamp.format),
            notes: user.notes
        )
        return try makeEncoder().encode(line)
    }

    /// Reads the header line; `line` is its 1-based number for the error.
    public static func decodeHeader(_ data: Data, line: Int = 1) throws(LineError) -> Header {
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            throw LineError(line: line, reason: "not a phs-check snapshot header (expected {\"kind\":\"\(kind)\",...}); take the snapshot with `phs-check collect`")
        }
        guard header.kind == kind else {
            throw LineError(line: line, reason: "kind is \"\(header.kind)\", expected \"\(kind)\"")
        }
        guard header.version == version else {
            throw LineError(line: line, reason: "snapshot version \(header.version) is not supported (this phs-check reads version \(version))")
        }
        return header
    }

    /// Reads one user line back into a `DirectoryUser`.
    public static func decodeUser(_ data: Data, line: Int) throws(LineError) -> DirectoryUser {
        let u: UserLine
        do {
            u = try JSONDecoder().decode(UserLine.self, from: data)
        } catch {
            throw LineError(line: line, reason: "not a snapshot user line: \(describe(error))")
        }
        func time(_ value: String?, _ field: String) throws(LineError) -> Date? {
            guard let value else { return nil }
            guard let date = Timestamp.parse(value) else {
                throw LineError(line: line, reason: "\(field) \"\(value)\" is not an ISO 8601 UTC time")
            }
            return date
        }
        var guid: ObjectGUID?
        if let text = u.objectGUID {
            guard let parsed = ObjectGUID(uuidString: text) else {
                throw LineError(line: line, reason: "objectGUID \"\(text)\" is not a GUID")
            }
            guid = parsed
        }
        var consistency: Data?
        if let text = u.consistencyGuid {
            guard let parsed = Data(base64Encoded: text) else {
                throw LineError(line: line, reason: "consistencyGuid \"\(text)\" is not base64")
            }
            consistency = parsed
        }
        let pwd: PasswordLastSet
        if u.mustChangePassword {
            pwd = .mustChange
        } else if let date = try time(u.pwdLastSet, "pwdLastSet") {
            let raw = u.pwdLastSetRaw.flatMap { Int64($0) } ?? FileTime.ticks(from: date)
            pwd = .set(date, raw: raw)
        } else {
            pwd = .absent
        }
        return DirectoryUser(
            distinguishedName: u.distinguishedName,
            samAccountName: u.samAccountName,
            userPrincipalName: u.userPrincipalName,
            objectGUID: guid,
            consistencyGuid: consistency,
            objectSid: u.objectSid,
            pwdLastSet: pwd,
            userAccountControl: UserAccountControl(rawValue: u.userAccountControl),
            accountExpires: try time(u.accountExpires, "accountExpires"),
            lockedOut: u.lockedOut,
            passwordExpired: u.passwordExpired,
            whenChanged: try time(u.whenChanged, "whenChanged"),
            uSNChanged: u.uSNChanged,
            adminDescription: u.adminDescription,
            unicodePwdLastChanged: try time(u.unicodePwdLastChanged, "unicodePwdLastChanged"),
            notes: u.notes ?? []
        )
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing field \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "field \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type"
        case DecodingError.dataCorrupted: "not valid JSON"
        default: "not valid JSON"
        }
    }
}

/// Windows FILETIME: 100-nanosecond ticks since 1601-01-01 UTC.
public enum FileTime {
    /// Ticks between 1601-01-01 and 1970-01-01.
    public static let unixEpochTicks: Int64 = 116_444_736_000_000_000

    public static func date(fromTicks ticks: Int64) -> Date {
        Date(timeIntervalSince1970: Double(ticks - unixEpochTicks) / 10_000_000)
    }

    public static func ticks(from date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 10_000_000).rounded()) + unixEpochTicks
    }
}
