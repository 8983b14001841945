// CloudExport reads what admins export from Entra ID (docs/FORMATS.md "Cloud exports read").
//
// Decisions, kept here and in the doc comments they belong to:
// - Detection: after the byte order mark, `{` or `[` is JSON (Graph, PowerShell ConvertTo-Json),
//   anything else a CSV told apart by its header (Get-MgUser, Get-MsolUser, and the Entra admin
//   center "Download users" file, which is refused with the Get-MgUser command to run instead).
// - JSON is streamed: one buffer of the file and one user are held at a time, whatever the
//   size. Pages, arrays of pages, bare arrays, JSON Lines and one PowerShell object are one
//   grammar; all pages carrying @odata.nextLink means the export stopped early and is refused.
// - CSV is read twice (standard input is held in memory for it): the first pass checks every
//   row and reads every date, so the day/month order is decided from the whole file and no
//   user is handed over from a file that fails; the second pass hands out the users.
// - Dates with a zone (ISO 8601 `Z`/offset, `/Date(ms)/`) are exact. Dates without one (CSV,
//   PowerShell 7 DateTimeKind.Unspecified) need `--cloud-timezone`, are resolved through
//   Foundation's zone rules (daylight saving included), and a time that does not exist or
//   happened twice in that zone is refused. A day/month order that no date settles is refused
//   with the `--cloud-date-format` values that settle it. Nothing is guessed.
// - MSOnline has no onPremisesSyncEnabled: LastDirSyncTime set reads as synced (true), else
//   unknown (nil); BlockCredential true reads as accountEnabled false.
// - Export-Csv writes nested lists as a type name, so provisioning errors from a CSV are
//   unknown and read as none; PowerShell JSON cut off by -Depth still counts each error.
// - asOf: no format carries the time it was taken, so the summary gives the newest
//   lastPasswordChangeDateTime / onPremisesLastSyncDateTime (asOfSource "inferred").
public import Foundation
public import SyncAudit

/// The export formats of docs/FORMATS.md (`--cloud-format`). PowerShell `ConvertTo-Json` is read
/// by the Graph JSON reader: its keys match Graph's ignoring case.
public enum CloudFormat: String, CaseIterable, Sendable {
    case auto
    case graphJSON = "graph-json"
    case mgCSV = "mg-csv"
    case msolCSV = "msol-csv"
    /// Read live from Microsoft Graph (`--cloud graph`): a source, not a file format.
    case graph

    /// The values `--cloud-format` takes.
    public static let fileFormats: [CloudFormat] = [.auto, .graphJSON, .mgCSV, .msolCSV]
}

/// The `CloudUser` fields, by their Graph names.
public enum CloudUserField: String, CaseIterable, Sendable, Hashable {
    case id, userPrincipalName, accountEnabled, lastPasswordChangeDateTime, onPremisesImmutableId,
         onPremisesSyncEnabled, onPremisesLastSyncDateTime, onPremisesSecurityIdentifier,
         onPremisesSamAccountName, onPremisesUserPrincipalName, onPremisesDistinguishedName,
         onPremisesDomainName, passwordPolicies, onPremisesProvisioningErrors

    /// Sets this field of `user` when it is one of the text fields; every reader shares it.
    /// The fields that are not text (dates, booleans, the error list) are left alone.
    func setText(_ value: String?, in user: inout CloudUser) {
        switch self {
        case .id: user.id = value
        case .userPrincipalName: user.userPrincipalName = value
        case .onPremisesImmutableId: user.onPremisesImmutableId = value
        case .onPremisesSecurityIdentifier: user.onPremisesSecurityIdentifier = value
        case .onPremisesSamAccountName: user.onPremisesSamAccountName = value
        case .onPremisesUserPrincipalName: user.onPremisesUserPrincipalName = value
        case .onPremisesDistinguishedName: user.onPremisesDistinguishedName = value
        case .onPremisesDomainName: user.onPremisesDomainName = value
        case .passwordPolicies: user.passwordPolicies = value
        case .accountEnabled, .lastPasswordChangeDateTime, .onPremisesSyncEnabled, .onPremisesLastSyncDateTime,
             .onPremisesProvisioningErrors:
            break
        }
    }

    /// The fields `user` carries a value for (a non-empty list for provisioning errors).
    public static func present(in user: CloudUser) -> Set<CloudUserField> {
        fields(inMask: mask(of: user))
    }

    /// Bit `n` set when the field `allCases[n]` has a value.
    static func mask(of user: CloudUser) -> UInt32 {
        var m: UInt32 = 0
        func bit(_ f: CloudUserField, _ has: Bool) { if has { m |= 1 << UInt32(f.index) } }
        bit(.id, user.id != nil)
        bit(.userPrincipalName, user.userPrincipalName != nil)
        bit(.accountEnabled, user.accountEnabled != nil)
        bit(.lastPasswordChangeDateTime, user.lastPasswordChangeDateTime != nil)
        bit(.onPremisesImmutableId, user.onPremisesImmutableId != nil)
        bit(.onPremisesSyncEnabled, user.onPremisesSyncEnabled != nil)
        bit(.onPremisesLastSyncDateTime, user.onPremisesLastSyncDateTime != nil)
        bit(.onPremisesSecurityIdentifier, user.onPremisesSecurityIdentifier != nil)
        bit(.onPremisesSamAccountName, user.onPremisesSamAccountName != nil)
        bit(.onPremisesUserPrincipalName, user.onPremisesUserPrincipalName != nil)
        bit(.onPremisesDistinguishedName, user.onPremisesDistinguishedName != nil)
        bit(.onPremisesDomainName, user.onPremisesDomainName != nil)
        bit(.passwordPolicies, user.passwordPolicies != nil)
        bit(.onPremisesProvisioningErrors, !user.onPremisesProvisioningErrors.isEmpty)
        return m
    }

    static func fields(inMask m: UInt32) -> Set<CloudUserField> {
        Set(allCases.enumerated().filter { m & (1 << UInt32($0.offset)) != 0 }.map(\.element))
    }

    var index: Int {
        switch self {
        case .id: 0
        case .userPrincipalName: 1
        case .accountEnabled: 2
        case .lastPasswordChangeDateTime: 3
        case .onPremisesImmutableId: 4
        case .onPremisesSyncEnabled: 5
        case .onPremisesLastSyncDateTime: 6
        case .onPremisesSecurityIdentifier: 7
        case .onPremisesSamAccountName: 8
        case .onPremisesUserPrincipalName: 9
        case .onPremisesDistinguishedName: 10
        case .onPremisesDomainName: 11
        case .passwordPolicies: 12
        case .onPremisesProvisioningErrors: 13
        }
    }
}

/// How to read an export: `--cloud-format`, `--cloud-timezone`, `--cloud-date-format`.
public struct CloudReadOptions: Sendable {
    public var format: CloudFormat
    /// The zone of local times (CSV dates, ISO dates without a zone). Without it such a
    /// date is refused: it is the local time of a machine phs-check knows nothing about.
    public var timeZone: TimeZone?
    /// The form of CSV dates; without it the form is detected from all dates of the file.
    public var dateFormat: DatePattern?
    /// What a reader may hold at once: a record, a string, a recorded pipe.
    public var limits: InputLimits

    public init(format: CloudFormat = .auto, timeZone: TimeZone? = nil, dateFormat: DatePattern? = nil,
                limits: InputLimits = InputLimits()) {
        self.format = format
        self.timeZone = timeZone
        self.dateFormat = dateFormat
        self.limits = limits
    }

    /// From the command line's texts, with an error naming the option that is wrong.
    public init(format: String?, timeZone: String?, dateFormat: String?) throws(CloudExportError) {
        self.init()
        if let format {
            guard let f = CloudFormat(rawValue: format.lowercased()), CloudFormat.fileFormats.contains(f) else {
                throw CloudExportError(.invalidOption, "--cloud-format", "\"\(format)\" is not a format",
                                       fix: "Use one of " + CloudFormat.fileFormats.map(\.rawValue).joined(separator: ", ") + " (Graph itself is read with --cloud graph)")
            }
            self.format = f
        }
        if let timeZone {
            guard let zone = Self.timeZone(named: timeZone) else {
                throw CloudExportError(.invalidOption, "--cloud-timezone", "\"\(timeZone)\" is not a time zone",
                                       fix: "Use an IANA name such as Europe/Amsterdam, the Windows name Get-TimeZone shows on the machine that made the export (W. Europe Standard Time), UTC, or an offset such as +01:00")
            }
            self.timeZone = zone
        }
        if let dateFormat {
            guard let pattern = DatePattern(dateFormat) else {
                throw CloudExportError(.invalidOption, "--cloud-date-format", "\"\(dateFormat)\" is not a date form phs-check reads",
                                       fix: "Use d, dd, M, MM, yyyy, H, HH, h, hh, mm, ss and tt, for example \"dd-MM-yyyy HH:mm:ss\" or \"M/d/yyyy h:mm:ss tt\"")
            }
            self.dateFormat = pattern
        }
    }

    /// An IANA name (`Europe/Amsterdam`), a Windows name (`W. Europe Standard Time`, what
    /// `Get-TimeZone` shows on the machine that made the export), `UTC`, or a fixed offset
    /// (`+01:00`, `-0500`).
    public static func timeZone(named name: String) -> TimeZone? {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if ["utc", "z", "gmt"].contains(trimmed.lowercased()) { return TimeZone(identifier: "UTC") }
        if let first = trimmed.first, first == "+" || first == "-" {
            var s = DateScanner(trimmed)
            guard let offset = s.zone(), s.atEnd, abs(offset) <= 14 * 3600 else { return nil }
            return TimeZone(secondsFromGMT: Int(offset))
        }
        if let iana = WindowsTimeZones.zone(named: trimmed) { return TimeZone(identifier: iana) }
        guard trimmed.contains("/") || trimmed.count > 2 else { return nil }
        return TimeZone(identifier: trimmed)
    }
}

/// What was read: the format found, how many users, and a time for `asOf`.
public struct CloudExportSummary: Sendable, Hashable {
    /// The path as given (`-` for standard input).
    public var source: String
    /// The format read: `graphJSON`, `mgCSV` or `msolCSV` (never `auto`).
    public var format: CloudFormat
    /// The shape found, for messages: "Graph /users response (3 pages one after another)",
    /// "PowerShell ConvertTo-Json (array of users), Windows PowerShell 5.1 \/Date()\/ dates",
    /// "Get-MgUser Export-Csv (#TYPE line, dates MM/dd/yyyy in Europe/Amsterdam)".
    public var variant: String
    /// `UTF-8`, `UTF-8 with BOM`, `UTF-16LE`, `UTF-16BE`.
    public var encoding: String
    public var users: Int
    /// The newest `lastPasswordChangeDateTime` or `onPremisesLastSyncDateTime` in the export.
    ///
    /// None of the formats carries the time it was taken, so this is the contract's
    /// "newest timestamp found in the export" (`asOfSource` = `inferred`). It is a lower
    /// bound of the real export time, which errs safe: a password change after it reads as
    /// `changed-after-export` (info), never as a missing sync.
    public var newestTimestamp: Date?
    /// The fields at least one user carries: a field missing here was not exported
    /// (for instance `lastPasswordChangeDateTime` left out of `-Property` or `$select`).
    public var fieldsPresent: Set<CloudUserField>
    /// CSV: the date form used (`MM/dd/yyyy`, `dd/MM/yyyy`, `yyyy-MM-dd` or the pattern given).
    public var dateFormat: String?
    /// An `export-cloud` file's header: when the Graph read began (the exact `asOf`), the
    /// tenant's state read with the users.
    public var graphExport: GraphExportHeader?

    public init(source: String, format: CloudFormat, variant: String, encoding: String, users: Int,
                newestTimestamp: Date?, fieldsPresent: Set<CloudUserField>, dateFormat: String?) {
        self.source = source
        self.format = format
        self.variant = variant
        self.encoding = encoding
        self.users = users
        self.newestTimestamp = newestTimestamp
        self.fieldsPresent = fieldsPresent
        self.dateFormat = dateFormat
    }

    /// The fields phs-check compares that no user carries, worth a warning.
    public var missingKeyFields: [CloudUserField] {
        [.lastPasswordChangeDateTime, .onPremisesImmutableId, .onPremisesSyncEnabled].filter { !fieldsPresent.contains($0) }
    }

    /// What the report must warn about this export: each key field no user carries, with the
    /// export to take instead, and each part of the tenant's state Graph did not give.
    /// (`lastPasswordChangeDateTime` missing everywhere is refused by `requirePasswordTimes`,
    /// not warned about.)
    public var warnings: [RunWarning] {
        missingKeyFields.filter { $0 != .lastPasswordChangeDateTime }.map { field in
            RunWarning(.exportFieldMissing, "no user in \(source) has \(field.rawValue); export it too: \(CloudExportReader.recommendedCommand)")
        } + (graphExport?.notes ?? []).map { RunWarning(.tenantStatePartial, $0) }
    }

    /// Refuses an export in which no user has `lastPasswordChangeDateTime`: Graph and
    /// Get-MgUser return it only when asked for (`$select`, `-Property`), and without it no
    /// password can be checked. Call it after reading, before reporting anything.
    public func requirePasswordTimes() throws(CloudExportError) {
        guard !fieldsPresent.contains(.lastPasswordChangeDateTime) else { return }
        let name = format == .msolCSV ? "LastPasswordChangeTimestamp" : "lastPasswordChangeDateTime"
        throw CloudExportError(
            .missingField, source,
            "none of the \(users) users has \(name), so no password can be checked: Graph and Get-MgUser return it only when it is asked for",
            fix: "Export with the property named: \(CloudExportReader.recommendedCommand)")
    }
}

/// What the summary counts of the users a reader hands over.
struct UserTally {
    var users = 0
    /// The newest `lastPasswordChangeDateTime` or `onPremisesLastSyncDateTime`.
    var newest: Date?
    /// The fields carried, as in `CloudUserField.mask(of:)`.
    var present: UInt32 = 0

    /// Counts `user`, who carries the fields in the mask `fields`.
    mutating func add(_ user: CloudUser, present fields: UInt32) {
        users += 1
        present |= fields
        if let date = user.lastPasswordChangeDateTime, newest.map({ date > $0 }) ?? true { newest = date }
        if let date = user.onPremisesLastSyncDateTime, newest.map({ date > $0 }) ?? true { newest = date }
    }
}

extension CloudExportSummary {
    init(source: String, format: CloudFormat, variant: String, encoding: TextEncoding, tally: UserTally, dateFormat: String?) {
        self.init(source: source, format: format, variant: variant, encoding: encoding.rawValue, users: tally.users,
                  newestTimestamp: tally.newest, fieldsPresent: CloudUserField.fields(inMask: tally.present),
                  dateFormat: dateFormat)
    }
}

/// Reads a cloud export (docs/FORMATS.md "Cloud exports read") into `CloudUser` values.
public enum CloudExportReader {
    /// The export to take, as docs/FORMATS.md gives it; error messages point to it.
    public static let recommendedCommand =
        "Get-MgUser -All -Property Id,UserPrincipalName,AccountEnabled,LastPasswordChangeDateTime,OnPremisesImmutableId,OnPremisesSyncEnabled,OnPremisesLastSyncDateTime,OnPremisesSecurityIdentifier,OnPremisesSamAccountName,OnPremisesUserPrincipalName | ConvertTo-Json -Depth 5 | Out-File users.json"

    /// Reads the export at `path` (`-` for standard input) and hands each user to `onUser`
    /// as it is read; a JSON export is streamed and never held whole.
    ///
    /// Throws `CloudExportError` when the export cannot be read right, and rethrows what
    /// `onUser` throws. After a throw, the users already handed over are not a complete
    /// export: use none of them. A CSV is checked whole before its first user is handed over.
    public static func read(path: String, options: CloudReadOptions = .init(),
                            onUser: (CloudUser) throws -> Void) throws -> CloudExportSummary {
        let stream: any ByteStream
        do {
            // A pipe (standard input, `<(...)`) is recorded while the format is unknown: a CSV is read twice.
            let file = try FileStream(path: path)
            stream = file.isRegularFile ? file : RecordingStream(file, limit: options.limits.maxInputSize)
        } catch {
            throw CloudExportError(.unreadableFile, path, "cannot open the file: \(error.message)",
                                   fix: "Check the path given with --cloud")
        }
        return try read(stream: stream, name: path, options: options, onUser: onUser)
    }

    /// Reads the whole export into memory; for tests and small exports.
    public static func readAll(path: String, options: CloudReadOptions = .init())
        throws(CloudExportError) -> (users: [CloudUser], summary: CloudExportSummary) {
        var users: [CloudUser] = []
        do {
            let summary = try read(path: path, options: options) { users.append($0) }
            return (users, summary)
        } catch let error as CloudExportError {
            throw error
        } catch {
            preconditionFailure("only CloudExportError can be thrown here: \(error)")
        }
    }

    /// Reads an export held in memory (tests, and callers that already have the bytes).
    public static func read(bytes: [UInt8], name: String, options: CloudReadOptions = .init(),
                            onUser: (CloudUser) throws -> Void) throws -> CloudExportSummary {
        try read(stream: MemoryStream(bytes), name: name, options: options, onUser: onUser)
    }

    /// Reads from `stream`, decompressed when it is gzip; `buffers` sets every buffer size on
    /// the way (tests shrink them). A `RecordingStream` (standard input) must not have been read.
    static func read(stream raw: any ByteStream, name: String, options: CloudReadOptions,
                     buffers: ReadBuffers = ReadBuffers(),
                     onUser: (CloudUser) throws -> Void) throws -> CloudExportSummary {
        let stream = try decompressing(raw, name, limit: options.limits.maxInputSize, buffers)
        guard let gzip = (stream as? GzipStream) ?? ((stream as? RecordingStream)?.inner as? GzipStream) else {
            return try readText(stream: stream, name: name, options: options, buffers: buffers, onUser: onUser)
        }
        do {
            let summary = try readText(stream: stream, name: name, options: options, buffers: buffers, onUser: onUser)
            // The readers stop at the end of the text, so this only checks a member the text
            // ended before (and decodes nothing twice).
            do { try gzip.verifyRest() } catch { throw CloudExportError(error, name) }
            return summary
        } catch let error as CloudExportError where error.kind != .compressed && error.kind != .unreadableFile {
            // Damaged compressed data can decode to text that looks wrong before the CRC-32
            // says why: the damage is what to report, then. (A read that failed is reported
            // as it is: decoding on could only fail the same way.)
            do { try gzip.verifyRest() } catch { throw CloudExportError(error, name) }
            throw error
        }
    }

    /// `stream`, or a `GzipStream` over it when it is gzip. Standard input stays recorded, as
    /// the decompressed text (a CSV is read twice).
    static func decompressing(_ stream: any ByteStream, _ name: String, limit: Int,
                              _ buffers: ReadBuffers = ReadBuffers()) throws(CloudExportError) -> any ByteStream {
        do {
            if let recording = stream as? RecordingStream {
                return RecordingStream(try Gzip.decompressing(recording.inner, name: name, limit: limit, buffers: buffers),
                                       limit: recording.limit)
            }
            return try Gzip.decompressing(stream, name: name, limit: limit, buffers: buffers)
        } catch {
            throw CloudExportError(error, name)
        }
    }

    private static func readText(stream: any ByteStream, name: String, options: CloudReadOptions,
                                 buffers: ReadBuffers, onUser: (CloudUser) throws -> Void) throws -> CloudExportSummary {
        var input = try decodedInput(stream, name, buffers)
        guard let first = input.firstNonWhitespace() else {
            // Empty, or only whitespace — unless an encoding fault stopped the look.
            var probe = JSONLexer(input: input, file: name, capacity: min(64, buffers.json))
            _ = try probe.peekNonWhitespace()
            throw CloudExportError(.empty, name, "the file is empty",
                                   fix: "Export the users again: \(recommendedCommand)")
        }
        if first == 0 {
            throw CloudExportError(.encoding, name, at: SourcePosition(line: 1, column: 1, byteOffset: nil),
                                   "the file starts with a NUL byte: it is not a text export",
                                   fix: "Give the users export (JSON or CSV text): \(recommendedCommand)")
        }
        let isJSON = first == 0x7B || first == 0x5B
        if isJSON {
            if options.format == .mgCSV || options.format == .msolCSV {
                throw CloudExportError(.wrongFormat, name,
                                       "--cloud-format \(options.format.rawValue) was given, but the file is JSON",
                                       fix: "Use --cloud-format graph-json or auto")
            }
            (stream as? RecordingStream)?.stopRecording()
            var lexer = JSONLexer(input: input, file: name, capacity: buffers.json, scratchCapacity: buffers.scratch,
                                  maxString: options.limits.maxRecordSize)
            var reader = GraphJSONReader(file: name, timeZone: options.timeZone)
            try reader.read(&lexer, onUser: onUser)
            let stats = reader.stats
            if let header = reader.header {
                guard let count = reader.endCount else {
                    throw CloudExportError(.incompleteExport, name,
                                           "the export-cloud file ends after \(stats.tally.users) users without its closing line: it was cut off",
                                           fix: "Take the export again with phs-check export-cloud")
                }
                guard count == stats.tally.users else {
                    throw CloudExportError(.malformed, name,
                                           "the closing line counts \(count) users but the file holds \(stats.tally.users)",
                                           fix: "The file was edited by hand: take the export again with phs-check export-cloud")
                }
                var summary = CloudExportSummary(source: name, format: .graphJSON,
                                                 variant: "phs-check export-cloud file (Microsoft Graph, tenant \(header.tenantId), read from \(Timestamp.format(header.fetchStartedAt)))",
                                                 encoding: input.encoding, tally: stats.tally, dateFormat: nil)
                summary.graphExport = header
                return summary
            }
            if stats.tally.users == 0 {
                throw CloudExportError(.noUsers, name, "the export holds no users",
                                       fix: "Check the file or the Get-MgUser command: \(recommendedCommand)")
            }
            if stats.pages > 0 && stats.pagesWithNextLink == stats.pages {
                throw CloudExportError(
                    .incompleteExport, name,
                    "every response page in the file has an @odata.nextLink, so the export stops after \(stats.tally.users) users and Graph had more",
                    fix: "Follow @odata.nextLink until a page has none (Get-MgUser -All does this)")
            }
            return CloudExportSummary(source: name, format: .graphJSON, variant: reader.variant,
                                      encoding: input.encoding, tally: stats.tally, dateFormat: nil)
        }

        if options.format == .graphJSON {
            throw CloudExportError(.wrongFormat, name,
                                   "--cloud-format graph-json was given, but the file does not start with { or [",
                                   fix: "Use --cloud-format mg-csv, msol-csv or auto")
        }
        if let recording = stream as? RecordingStream {
            // Standard input cannot be read twice: hold this CSV in memory.
            do {
                input = try decodedInput(try recording.replayable(chunk: buffers.raw), name, buffers)
            } catch let error as IOFault {
                throw CloudExportError(error, name)
            }
        }
        let reader = CSVUserReader(file: name, options: options, capacity: buffers.csv)
        let result = try reader.read(input, onUser: onUser)
        return CloudExportSummary(source: name, format: result.kind == .mg ? .mgCSV : .msolCSV, variant: result.variant,
                                  encoding: input.encoding, tally: result.tally, dateFormat: result.dateFormat)
    }

    static func decodedInput(_ stream: any ByteStream, _ name: String,
                             _ buffers: ReadBuffers = ReadBuffers()) throws(CloudExportError) -> DecodedInput {
        do {
            return try DecodedInput(stream: stream, buffers: buffers)
        } catch {
            switch error {
            case .io(let fault):
                throw CloudExportError(fault, name)
            case .invalid(let message), .truncated(let message):
                throw CloudExportError(.encoding, name, at: SourcePosition(line: 1, column: 1, byteOffset: 0), message,
                                       fix: "Save the export as UTF-8 or UTF-16 with a byte order mark")
            }
        }
    }
}
