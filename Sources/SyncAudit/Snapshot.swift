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

    /// One user line, field for field as docs/FORMATS.md names them.
    struct UserLine: Decodable {
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
        w.add("uSNChanged", user.uSNChanged)
        w.add("unicodePwdLastChanged", user.unicodePwdLastChanged.map(Timestamp.format))
        w.add("userAccountControl", user.userAccountControl.rawValue)
        w.add("userPrincipalName", user.userPrincipalName)
        w.add("whenChanged", user.whenChanged.map(Timestamp.format))
        return Data(w.finish().utf8)
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

    /// Reads one user line back into a `DirectoryUser`.
    public static func decodeUser(_ data: Data, line: Int) throws(LineError) -> DirectoryUser {
        let u: UserLine
        do {
            u = try decoder.decode(UserLine.self, from: data)
        } catch {
            throw LineError(line: line, reason: "not a snapshot user line: \(describe(error))")
        }
        func time(_ value: String?, _ field: String) throws(LineError) -> Date? {
            guard let value else { return nil }
            guard let date = Timestamp.parse(value), timeRange.contains(date) else {
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
                    let header = try Self.sectionHeader(line, number: number, first: sections.isEmpty)
                    guard domains.insert(header.domainName.lowercased()).inserted else {
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
                    guard let end = Snapshot.decodeTrailer(line) else { throw error }
                    guard end.users == sections[current].users else {
                        throw ReadError.countMismatch(trailer: end.users, read: sections[current].users)
                    }
                    open = false
                    return
                }
                let header = sections[current].header
                if header.unreachable != nil {
                    throw Snapshot.LineError(line: number, reason: "a user in the section of \(header.domainName), which says the domain was not read: the file was edited; take the snapshot again")
                }
                user.domain = header.domainName
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

    mutating func feed(_ chunk: Data, atEnd: Bool, _ body: (Data, Int) throws -> Void) throws {
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
            if stop > start { try body(Data(pending[start..<stop]), number) }
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
