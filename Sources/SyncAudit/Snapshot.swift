public import Foundation

/// The `collect` snapshot: JSON Lines, a header line, one user per line, and a closing line
/// with the number of users (docs/FORMATS.md "Snapshot"; `docs/schema/snapshot-*.schema.json`).
/// Without the closing line a snapshot is incomplete — `collect` was interrupted or the file
/// was cut — and is refused: a truncated snapshot must not compare as a clean one.
///
/// Pure encoding and decoding; `SnapshotReader` turns a stream of chunks into the header and
/// users. Opening and writing files is the caller's.
public enum Snapshot {
    public static let kind = "phs-check/ad-snapshot"
    /// Version 2 added the closing line; version 1 snapshots cannot prove they are complete.
    public static let version = 2
    public static let endKind = "phs-check/ad-snapshot-end"
    /// The times a snapshot can carry: those `Timestamp.format` writes and `Timestamp.parse`
    /// reads back (years 0000–9999 in UTC). A time outside it is refused where it is decoded.
    public static let timeRange: ClosedRange<Date> =
        Timestamp.date(year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0)!
        ... Timestamp.date(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59)!

    public struct Header: Codable, Sendable, Hashable {
        public var kind: String
        public var version: Int
        public var collectedAt: String
        public var server: String
        public var baseDN: String
        /// The domain's name in a run of several domains (its `domains:` entry); absent in a
        /// snapshot of one domain taken without a config, which is named by its DNS name.
        public var domain: String?
        /// Why the domain could not be read (`collect --allow-partial`): its section holds no
        /// users, and `compare` reports it as `domain-unreachable`.
        public var unreachable: String?

        public init(collectedAt: Date, server: String, baseDN: String, domain: String? = nil, unreachable: String? = nil) {
            self.kind = Snapshot.kind
            self.version = Snapshot.version
            self.collectedAt = Timestamp.format(collectedAt)
            self.server = server
            self.baseDN = baseDN
            self.domain = domain
            self.unreachable = unreachable
        }

        /// How reports name the domain: `domain`, else the DNS name of `baseDN`.
        public var domainName: String {
            domain ?? DomainNames.dnsName(ofDN: baseDN) ?? baseDN
        }
    }

    /// One domain's part of a snapshot: its header, and how many users followed it. A file
    /// holds one section per domain (`collect` of several domains, or files joined with `cat`).
    public struct Section: Sendable, Hashable {
        public var header: Header
        public var users: Int
    }

    /// A snapshot line that could not be read, with its 1-based line number.
    public struct LineError: Error, Sendable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// One decoder for every line: making one per line costs more than the decoding.
    private static let decoder = JSONDecoder()

    private static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The closing line: how many users the snapshot holds. Only a complete snapshot has one.
    public struct Trailer: Codable, Sendable, Hashable {
        public var kind: String
        public var users: Int

        public init(users: Int) {
            self.kind = Snapshot.endKind
            self.users = users
        }
    }

    /// The closing line as one JSON line (no trailing newline).
    public static func encode(_ trailer: Trailer) -> Data {
        Data("{\"kind\":\"\(endKind)\",\"users\":\(trailer.users)}".utf8)
    }

    /// The closing line, or nil when `data` is not one.
    static func decodeTrailer(_ data: Data) -> Trailer? {
        guard let trailer = try? decoder.decode(Trailer.self, from: data), trailer.kind == endKind, trailer.users >= 0 else {
            return nil
        }
        return trailer
    }

    /// The header as one JSON line (no trailing newline).
    public static func encode(_ header: Header) throws -> Data {
        try makeEncoder().encode(header)
    }

    /// One user as one JSON line (no trailing newline), every field of the contract present
    /// (null where it does not apply), keys sorted.
    public static func encode(_ user: DirectoryUser) -> Data {
        var w = JSONObjectWriter()
        w.add("accountExpires", user.accountExpires.map(Timestamp.format))
        w.add("adminDescription", user.adminDescription)
        w.add("consistencyGuid", user.consistencyGuid?.base64EncodedString())
        w.add("distinguishedName", user.distinguishedName)
        w.add("enabled", user.isEnabled)
        w.add("flags", user.userAccountControl.names)
        w.add("lockedOut", user.lockedOut)
        w.add("mustChangePassword", user.pwdLastSet == .mustChange)
        if !user.notes.isEmpty { w.add("notes", user.notes) }
        w.add("objectGUID", user.objectGUID?.uuidString)
        w.add("objectGUIDBase64", user.objectGUID?.base64)
        w.add("objectSid", user.objectSid)
        w.add("passwordExpired", user.passwordExpired)
        w.add("pwdLastSet", user.pwdLastSet.date.map(Timestamp.format))
        w.add("pwdLastSetRaw", user.pwdLastSet.raw.map { String($0) })
        w.add("samAccountName", user.samAccountName)
        w.add("structuralClass", user.structuralClass)
        w.add("uSNChanged", user.uSNChanged)
        w.add("unicodePwdLastChanged", user.unicodePwdLastChanged.map(Timestamp.format))
        w.add("userAccountControl", user.userAccountControl.rawValue)
        w.add("userPrincipalName", user.userPrincipalName)
        w.add("whenChanged", user.whenChanged.map(Timestamp.format))
        return Data(w.finishBytes())
    }

    /// Reads the header line; `line` is its 1-based number for the error.
    public static func decodeHeader(_ data: Data, line: Int = 1) throws(LineError) -> Header {
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: data)
        } catch {
            throw LineError(line: line, reason: "not a phs-check snapshot header (expected {\"kind\":\"\(kind)\",...}); take the snapshot with `phs-check collect`")
        }
        guard header.kind == kind else {
            throw LineError(line: line, reason: "kind is \"\(header.kind)\", expected \"\(kind)\"")
        }
        guard header.version == version else {
            let why = header.version < version ? ": it has no closing line to prove it is complete; take it again with this phs-check's collect" : ""
            throw LineError(line: line, reason: "snapshot version \(header.version) is not supported (this phs-check reads version \(version))\(why)")
        }
        return header
    }

    /// Reads one user line back into a `DirectoryUser`, field for field as docs/FORMATS.md
    /// names them.
    public static func decodeUser(_ data: Data, line: Int) throws(LineError) -> DirectoryUser {
        let result = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Result<DirectoryUser, LineError> in
            Result { () throws(LineError) in try decodeUser(raw.bindMemory(to: UInt8.self), line: line) }
        }
        return try result.get()
    }

    /// The same, reading the line's bytes in place.
    static func decodeUser(_ bytes: UnsafeBufferPointer<UInt8>, line: Int) throws(LineError) -> DirectoryUser {
        do {
            return try UserFields.decode(bytes)
        } catch {
            throw LineError(line: line, reason: error.notAUserLine ? "not a snapshot user line: \(error.reason)" : error.reason)
        }
    }
}

/// The fields of a user line and their types: each one read from its bytes, a field the
/// contract does not name skipped, a required one that is missing an error.
private enum UserFields: Int, CaseIterable {
    case accountExpires, adminDescription, consistencyGuid, distinguishedName, enabled, flags, lockedOut
    case mustChangePassword, notes, objectGUID, objectGUIDBase64, objectSid, passwordExpired, pwdLastSet
    case pwdLastSetRaw, samAccountName, structuralClass, uSNChanged, unicodePwdLastChanged, userAccountControl
    case userPrincipalName, whenChanged

    /// The names' bytes, in the sorted order `Snapshot.encode` writes them.
    private static let names: [[UInt8]] = allCases.map { Array("\($0)".utf8) }

    /// The field named by `key`; `hint` (the field after the last one) is tried first, so a
    /// line in the written order costs one comparison per field.
    private static func field(_ key: UnsafeBufferPointer<UInt8>, hint: Int) -> UserFields? {
        func matches(_ index: Int) -> Bool {
            let name = names[index]
            return name.count == key.count && name.withUnsafeBufferPointer { memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }
        }
        if hint < names.count, matches(hint) { return UserFields(rawValue: hint) }
        return names.indices.first(where: matches).flatMap { UserFields(rawValue: $0) }
    }

    typealias Failure = SnapshotLineParser.Failure
    typealias Value = SnapshotLineParser.Value

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> DirectoryUser {
        var distinguishedName: String?, samAccountName: String?, userPrincipalName: String?
        var objectGUID: ObjectGUID?, consistencyGuid: Data?, objectSid: String?, adminDescription: String?, structuralClass: String?
        var pwdLastSet: Date?, pwdLastSetRaw: Int64?, mustChangePassword: Bool?, userAccountControl: UInt32?
        var flags = false, enabled = false, lockedOut: Bool?, passwordExpired: Bool?
        var accountExpires: Date?, whenChanged: Date?, unicodePwdLastChanged: Date?, uSNChanged: Int64?
        var notes: [String] = []
        var hint = 0
        try SnapshotLineParser.fields(of: bytes) { (key, value) throws(Failure) in
            guard let field = field(key, hint: hint) else { return }
            hint = field.rawValue + 1
            switch field {
            case .distinguishedName: distinguishedName = try field.text(value)
            case .samAccountName: samAccountName = try field.text(value)
            case .userPrincipalName: userPrincipalName = try field.optionalText(value)
            case .objectSid: objectSid = try field.optionalText(value)
            case .adminDescription: adminDescription = try field.optionalText(value)
            case .structuralClass: structuralClass = try field.optionalText(value)
            case .objectGUIDBase64:
                // Written for people and scripts; the GUID is read from objectGUID.
                switch value {
                case .string, .null: break
                default: throw field.wrongType
                }
            case .objectGUID:
                switch value {
                case .null: objectGUID = nil
                case .string(let raw):
                    guard let guid = ObjectGUID.parseUUID(raw) else {
                        throw Failure(reason: "objectGUID \"\(try SnapshotLineParser.text(raw))\" is not a GUID", notAUserLine: false)
                    }
                    objectGUID = guid
                default: throw field.wrongType
                }
            case .consistencyGuid:
                guard let text = try field.optionalText(value) else { consistencyGuid = nil; break }
                guard let data = Data(base64Encoded: text) else { throw Failure(reason: "consistencyGuid \"\(text)\" is not base64", notAUserLine: false) }
                consistencyGuid = data
            case .pwdLastSet: pwdLastSet = try field.time(value)
            case .accountExpires: accountExpires = try field.time(value)
            case .whenChanged: whenChanged = try field.time(value)
            case .unicodePwdLastChanged: unicodePwdLastChanged = try field.time(value)
            case .pwdLastSetRaw: pwdLastSetRaw = try field.optionalText(value).flatMap { Int64($0) }
            case .mustChangePassword: mustChangePassword = try field.bool(value)
            case .enabled: enabled = try field.bool(value) != nil
            case .lockedOut: lockedOut = try field.bool(value)
            case .passwordExpired: passwordExpired = try field.bool(value)
            case .userAccountControl: userAccountControl = try field.integer(value, UInt32.self)
            case .uSNChanged: uSNChanged = try field.integer(value, Int64.self)
            case .flags:
                guard case .strings = value else { throw field.wrongType }
                flags = true
            case .notes:
                switch value {
                case .null: notes = []
                case .strings(let array): notes = try SnapshotLineParser.strings(array)
                default: throw field.wrongType
                }
            }
        }
        guard let distinguishedName else { throw UserFields.distinguishedName.missing }
        guard let samAccountName else { throw UserFields.samAccountName.missing }
        guard let mustChangePassword else { throw UserFields.mustChangePassword.missing }
        guard let userAccountControl else { throw UserFields.userAccountControl.missing }
        guard flags else { throw UserFields.flags.missing }
        guard enabled else { throw UserFields.enabled.missing }
        let pwd: PasswordLastSet
        if mustChangePassword {
            pwd = .mustChange
        } else if let pwdLastSet {
            pwd = .set(pwdLastSet, raw: pwdLastSetRaw ?? FileTime.ticks(from: pwdLastSet))
        } else {
            pwd = .absent
        }
        return DirectoryUser(
            distinguishedName: distinguishedName,
            samAccountName: samAccountName,
            userPrincipalName: userPrincipalName,
            objectGUID: objectGUID,
            consistencyGuid: consistencyGuid,
            objectSid: objectSid,
            pwdLastSet: pwd,
            userAccountControl: UserAccountControl(rawValue: userAccountControl),
            accountExpires: accountExpires,
            lockedOut: lockedOut,
            passwordExpired: passwordExpired,
            whenChanged: whenChanged,
            uSNChanged: uSNChanged,
            adminDescription: adminDescription,
            structuralClass: structuralClass,
            unicodePwdLastChanged: unicodePwdLastChanged,
            notes: notes
        )
    }

    private var missing: Failure { Failure(reason: "missing field \"\(self)\"") }
    private var wrongType: Failure { Failure(reason: "field \"\(self)\" has the wrong type") }

    private func text(_ value: Value) throws(Failure) -> String {
        guard case .string(let raw) = value else { throw wrongType }
        return try SnapshotLineParser.text(raw)
    }

    private func optionalText(_ value: Value) throws(Failure) -> String? {
        if case .null = value { return nil }
        return try text(value)
    }

    /// A bool; nil for null (only where the field is optional does the caller accept that).
    private func bool(_ value: Value) throws(Failure) -> Bool? {
        switch value {
        case .bool(let b): return b
        case .null where self == .lockedOut || self == .passwordExpired: return nil
        default: throw wrongType
        }
    }

    private func integer<T: FixedWidthInteger>(_ value: Value, _: T.Type) throws(Failure) -> T? {
        switch value {
        case .null where self == .uSNChanged: return nil
        case .number(let raw):
            guard let n = T(String(decoding: raw, as: UTF8.self)) else { throw wrongType }
            return n
        default: throw wrongType
        }
    }

    /// A time in the snapshot's range, read from its bytes in place; nil for null.
    private func time(_ value: Value) throws(Failure) -> Date? {
        switch value {
        case .null: return nil
        case .string(let raw):
            if !raw.contains(0x5C), let date = Timestamp.fields(raw)?.instant, Snapshot.timeRange.contains(date) { return date }
            throw Failure(reason: "\(self) \"\(try SnapshotLineParser.text(raw))\" is not an ISO 8601 UTC time", notAUserLine: false)
        default: throw wrongType
        }
    }
}

/// Reads a snapshot from a stream of byte chunks (any size, as the caller reads them): each
/// section's header, then each user handed over as its line is complete, with `domain` set to
/// its section's domain. Any bad line is an error with its number.
public struct SnapshotReader {
    public enum ReadError: Error, Sendable {
        /// A line that is not what a snapshot holds.
        case line(Snapshot.LineError)
        /// No header: the input is empty.
        case empty
        /// No closing line after this many users of a section: the snapshot was cut short.
        case incomplete(users: Int)
        /// A section's closing line counts other than the users read.
        case countMismatch(trailer: Int, read: Int)
        /// A line longer than the limit without ending: not a snapshot (or `--max-record-size`).
        case lineTooLong(line: Int, limit: Int)
        /// The chunk source failed.
        case source(any Error)
    }

    private var lines: LineSplitter
    /// The sections read so far; the last one is open until its closing line.
    public private(set) var sections: [Snapshot.Section] = []
    private var open = false
    private var domains: Set<String> = []
    /// The open section's `header.domainName`, worked out once for all its users.
    private var domainName = ""

    /// `limits.maxRecordSize` bounds a line: no input makes the reader hold more.
    public init(limits: InputLimits = InputLimits()) {
        lines = LineSplitter(maxLine: limits.maxRecordSize)
    }

    /// Reads every chunk `next` returns until it returns nil (or an empty chunk), handing over
    /// each user; returns the sections, each one complete.
    public static func read(chunks next: () throws -> Data?, limits: InputLimits = InputLimits(),
                            onUser: (DirectoryUser) throws -> Void) throws(ReadError) -> [Snapshot.Section] {
        var reader = SnapshotReader(limits: limits)
        while true {
            let chunk: Data
            do { chunk = try next() ?? Data() } catch { throw .source(error) }
            try reader.feed(chunk, atEnd: chunk.isEmpty, onUser: onUser)
            if chunk.isEmpty { break }
        }
        guard let last = reader.sections.last else { throw .empty }
        if reader.open { throw .incomplete(users: last.users) }
        return reader.sections
    }

    /// Feeds one chunk; `atEnd` says no more will come (a last line without a newline counts).
    public mutating func feed(_ chunk: Data, atEnd: Bool, onUser: (DirectoryUser) throws -> Void) throws(ReadError) {
        do {
            try lines.feed(chunk, atEnd: atEnd) { line, number in
                if !open {
                    let header = try Self.sectionHeader(Data(line), number: number, first: sections.isEmpty)
                    domainName = header.domainName
                    guard domains.insert(domainName.lowercased()).inserted else {
                        throw Snapshot.LineError(line: number, reason: "a second section for the domain \(header.domainName): a snapshot holds each domain once; collect again, or give each domain once")
                    }
                    sections.append(Snapshot.Section(header: header, users: 0))
                    open = true
                    return
                }
                let current = sections.count - 1
                var user: DirectoryUser
                do {
                    user = try Snapshot.decodeUser(line, line: number)
                } catch {
                    // Not a user: the closing line (tried only then: it comes once), or bad.
                    guard let end = Snapshot.decodeTrailer(Data(line)) else { throw error }
                    guard end.users == sections[current].users else {
                        throw ReadError.countMismatch(trailer: end.users, read: sections[current].users)
                    }
                    open = false
                    return
                }
                let header = sections[current].header
                if header.unreachable != nil {
                    throw Snapshot.LineError(line: number, reason: "a user in the section of \(domainName), which says the domain was not read: the file was edited; take the snapshot again")
                }
                user.domain = domainName
                sections[current].users += 1
                do { try onUser(user) } catch { throw ReadError.source(error) }
            }
        } catch let error as ReadError {
            throw error
        } catch let error as Snapshot.LineError {
            throw .line(error)
        } catch let error as LineSplitter.TooLong {
            throw .lineTooLong(line: error.line, limit: error.limit)
        } catch {
            throw .source(error)
        }
    }

    /// The first line, or the line after a section's closing line: a header.
    private static func sectionHeader(_ line: Data, number: Int, first: Bool) throws(Snapshot.LineError) -> Snapshot.Header {
        do {
            return try Snapshot.decodeHeader(line, line: number)
        } catch {
            guard !first else { throw error }
            throw Snapshot.LineError(line: number, reason: "more lines after the snapshot's closing line that do not start a new section (a header line): the file was joined or edited; take the snapshot again")
        }
    }
}

/// Splits a byte stream into lines (LF, with an optional CR before it), numbering them from 1;
/// empty lines are counted but not handed over. A line longer than `maxLine` is an error, so
/// that an input without line ends (`/dev/zero`) cannot grow the pending bytes without bound.
struct LineSplitter {
    struct TooLong: Error {
        var line: Int
        var limit: Int
    }

    let maxLine: Int
    private var pending: [UInt8] = []
    private var number = 0

    init(maxLine: Int) { self.maxLine = maxLine }

    /// Hands each line to `body` as bytes valid only during the call.
    mutating func feed(_ chunk: Data, atEnd: Bool, _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        pending.append(contentsOf: chunk)
        var start = 0
        let count = pending.count
        while start < count {
            let newline: Int? = pending.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress, let hit = memchr(base + start, 0x0A, count - start) else { return nil }
                return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            guard let end = newline ?? (atEnd ? count : nil) else { break }
            number += 1
            // The same limit whether the line came in one chunk or many.
            if end - start > maxLine { throw TooLong(line: number, limit: maxLine) }
            var stop = end
            if stop > start, pending[stop - 1] == 0x0D { stop -= 1 }
            if stop > start {
                try pending.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<stop]), number) }
            }
            start = end + 1
        }
        pending.removeFirst(min(start, count))
        if pending.count > maxLine { throw TooLong(line: number + 1, limit: maxLine) }
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
