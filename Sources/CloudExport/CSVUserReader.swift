import Foundation
import SyncAudit

/// Reads `Get-MgUser | Export-Csv` and legacy `Get-MsolUser | Export-Csv`, and recognises
/// (and refuses) the Entra admin center "Download users" CSV.
///
/// Two passes over the text: the first checks the structure of every row and reads every
/// date to settle the file's date order (day-first or month-first) from all of them; the
/// second hands out the users. Only one row is held at a time.
struct CSVUserReader {
    enum Kind {
        case mg
        case msol
    }

    /// Where a column's value goes.
    enum Target: Equatable {
        case field(CloudUserField)
        /// MSOnline `BlockCredential`: true means the account is disabled.
        case blockCredential
    }

    struct Layout {
        var kind: Kind
        var delimiter: UInt8
        var typeName: String?
        /// Records before the header (`#TYPE ...`).
        var preambleRecords: Int
        var header: [String]
        var columns: [(index: Int, target: Target)]
    }

    let file: String
    let options: CloudReadOptions
    /// The size of the CSV scanner's text buffer.
    var capacity = ReadBuffers().csv

    struct Result {
        var kind: Kind
        var variant: String
        var tally: UserTally
        var dateFormat: String?
    }

    static let dateFields: Set<CloudUserField> = [.lastPasswordChangeDateTime, .onPremisesLastSyncDateTime]
    static let boolFields: Set<CloudUserField> = [.accountEnabled, .onPremisesSyncEnabled]

    /// Header text as compared: lower case, without spaces, underscores and dots, so that
    /// `OnPremisesImmutableId`, `onPremisesImmutableId` and `User principal name` all match.
    static func normalize(_ header: String) -> String {
        String(header.lowercased().unicodeScalars.filter { $0 != " " && $0 != "_" && $0 != "." && $0 != "\u{FEFF}" })
    }

    func read(_ input: DecodedInput, onUser: (CloudUser) throws -> Void) throws -> Result {
        let layout = try readLayout(input)

        // Pass 1: structure, and the dates of the whole file.
        var evidence = DateEvidence()
        var rows = 0
        try withRows(input, layout) { (sc: borrowing CSVScanner) throws(CloudExportError) in
            rows += 1
            for (index, target) in layout.columns where !sc.fieldIsEmpty(index) {
                guard case .field(let field) = target else {
                    _ = try bool(sc.field(index), layout.header[index], sc)
                    continue
                }
                if Self.dateFields.contains(field) {
                    try evidence.observe(sc.field(index), column: layout.header[index], sc, file: file, options: options)
                } else if Self.boolFields.contains(field) {
                    _ = try bool(sc.field(index), layout.header[index], sc)
                }
            }
        }
        guard rows > 0 else {
            throw CloudExportError(.noUsers, file, "the export holds no users, only its header",
                                   fix: "Check the file or the Get-MgUser command: \(CloudExportReader.recommendedCommand)")
        }
        let order = try evidence.decide(file: file, options: options)

        // Pass 2: the users.
        try rewind(input)
        var result = Result(kind: layout.kind, variant: "", tally: UserTally(), dateFormat: nil)
        try withRows(input, layout) { (sc: borrowing CSVScanner) throws in
            var user = CloudUser()
            for (index, target) in layout.columns where !sc.fieldIsEmpty(index) {
                let text = sc.field(index)
                switch target {
                case .blockCredential:
                    if let blocked = try bool(text, layout.header[index], sc) { user.accountEnabled = !blocked }
                case .field(let field):
                    try set(field, text, layout.header[index], order, in: &user, sc)
                }
            }
            if layout.kind == .msol {
                // MSOnline has no onPremisesSyncEnabled: a user with LastDirSyncTime is synced;
                // without it the state is unknown (ImmutableId alone is set on federated cloud users too).
                if user.onPremisesLastSyncDateTime != nil { user.onPremisesSyncEnabled = true }
            }
            guard user.id != nil || user.userPrincipalName != nil else {
                throw CloudExportError(.invalidValue, file, at: sc.recordPosition, "a row without Id and UserPrincipalName")
            }
            result.tally.add(user, present: CloudUserField.mask(of: user))
            try onUser(user)
        }

        var variant = layout.kind == .mg ? "Get-MgUser Export-Csv" : "Get-MsolUser Export-Csv"
        var details: [String] = []
        if layout.typeName != nil { details.append("#TYPE line") }
        if layout.delimiter != 0x2C { details.append("delimiter '\(Character(Unicode.Scalar(layout.delimiter)))'") }
        if let pattern = options.dateFormat {
            result.dateFormat = pattern.description
        } else if evidence.sawLocal || evidence.sawZoned {
            result.dateFormat = order?.rawValue ?? DateOrder.yearMonthDay.rawValue
        }
        if let f = result.dateFormat {
            details.append("dates \(f)" + (evidence.sawLocal ? " in \(options.timeZone?.identifier ?? "?")" : ""))
        }
        if !details.isEmpty { variant += " (" + details.joined(separator: ", ") + ")" }
        result.variant = variant
        return result
    }

    /// Back to the start of the text; a stream that cannot go back, or fails to, is an error.
    private func rewind(_ input: DecodedInput) throws(CloudExportError) {
        guard (try? input.rewind()) == true else {
            throw CloudExportError(.unreadableFile, file, "the file cannot be read a second time")
        }
    }

    /// Calls `body` for every row after the header, checking each has the header's field count.
    private func withRows(_ input: DecodedInput, _ layout: Layout,
                          _ body: (borrowing CSVScanner) throws -> Void) throws {
        var sc = CSVScanner(input: input, file: file, delimiter: layout.delimiter, capacity: capacity,
                            maxRecord: options.limits.maxRecordSize)
        for _ in 0...layout.preambleRecords { _ = try sc.nextRecord() }
        while try sc.nextRecord() {
            guard sc.fieldCount == layout.header.count else {
                throw CloudExportError(.malformed, file, at: sc.recordPosition,
                                       "this row has \(sc.fieldCount) fields, the header has \(layout.header.count)",
                                       fix: "A field holding the delimiter or a line break must be in double quotes; export the file again with Export-Csv")
            }
            try body(sc)
        }
    }

    // MARK: The header

    private struct Header {
        var fields: [String]
        var position: SourcePosition
        var preamble: Int
        var typeName: String?
        var adminVersionLine: Bool
    }

    private func readLayout(_ input: DecodedInput) throws(CloudExportError) -> Layout {
        // Export-Csv writes ',' — or with -UseCulture the culture's list separator (';' in
        // much of Europe). The delimiter is the first that splits the header into columns.
        var found: (Header, UInt8)?
        var firstError: CloudExportError?
        for delimiter: UInt8 in [0x2C, 0x3B, 0x09] {
            do {
                let header = try readHeader(input, delimiter: delimiter)
                if found == nil { found = (header, delimiter) }
                if header.fields.count > 1 { found = (header, delimiter); break }
            } catch where error.kind == .malformed {
                if firstError == nil { firstError = error }
            }
            try rewind(input)
        }
        try rewind(input)
        guard let (header, delimiter) = found else { throw firstError! }
        return try layout(header, delimiter: delimiter)
    }

    private func readHeader(_ input: DecodedInput, delimiter: UInt8) throws(CloudExportError) -> Header {
        var sc = CSVScanner(input: input, file: file, delimiter: delimiter, capacity: capacity,
                            maxRecord: options.limits.maxRecordSize)
        var preamble = 0
        var typeName: String?
        var adminVersionLine = false
        guard try sc.nextRecord() else {
            throw CloudExportError(.empty, file, "the file is empty",
                                   fix: "Export the users again: \(CloudExportReader.recommendedCommand)")
        }
        if sc.fieldCount >= 1, sc.field(0).hasPrefix("#TYPE") {
            typeName = String(sc.field(0).dropFirst(5).drop { $0 == " " })
            preamble += 1
            guard try sc.nextRecord() else {
                throw CloudExportError(.noUsers, file, "the file holds only its #TYPE line",
                                       fix: "Check the file or the Get-MgUser command: \(CloudExportReader.recommendedCommand)")
            }
        }
        // The admin center's bulk files start with a `version:v1.0` line.
        if sc.field(0).lowercased().hasPrefix("version:") {
            adminVersionLine = true
            preamble += 1
            _ = try sc.nextRecord()
        }
        return Header(fields: (0..<sc.fieldCount).map { sc.field($0) }, position: sc.recordPosition,
                      preamble: preamble, typeName: typeName, adminVersionLine: adminVersionLine)
    }

    private func layout(_ h: Header, delimiter: UInt8) throws(CloudExportError) -> Layout {
        let header = h.fields
        let position = h.position
        let normalized = header.map(Self.normalize)

        var seen: [String: Int] = [:]
        for (i, name) in normalized.enumerated() where !name.isEmpty {
            if let earlier = seen[name] {
                throw CloudExportError(.malformed, file, at: position,
                                       "the header names column \"\(header[i])\" twice (columns \(earlier + 1) and \(i + 1))",
                                       fix: "Keep one of them: a column must be named once")
            }
            seen[name] = i
        }

        let names = Set(normalized)
        let hasAnchor = names.contains("onpremisesimmutableid") || names.contains("immutableid")
        let hasPasswordTime = names.contains("lastpasswordchangedatetime") || names.contains("lastpasswordchangetimestamp")
        // The admin center's "Download users": objectId and display names, no anchor, no password time.
        let looksAdminCenter = !hasAnchor && !hasPasswordTime && !names.contains("id")
            && (h.adminVersionLine
                || (names.contains("objectid")
                    && (names.contains("displayname") || names.contains("directorysynced") || names.contains("usertype"))))
        let isMsol = names.contains("objectid")
            && !names.isDisjoint(with: ["immutableid", "lastpasswordchangetimestamp", "lastdirsynctime", "blockcredential"])
        let mgNames = Set(CloudUserField.allCases.map { $0.rawValue.lowercased() })
        let isMg = (names.contains("id") || names.contains("userprincipalname"))
            && !names.isDisjoint(with: mgNames.subtracting(["id", "userprincipalname"]))

        let kind: Kind
        if looksAdminCenter {
            throw CloudExportError(
                .adminCenterExport, file,
                "this is the Entra admin center \"Download users\" CSV: it has no OnPremisesImmutableId and no LastPasswordChangeDateTime column, so it cannot show whether passwords reached Entra ID",
                fix: "Export the users with PowerShell instead: \(CloudExportReader.recommendedCommand)")
        } else if isMsol && !isMg {
            kind = .msol
        } else if isMg {
            kind = .mg
        } else if header.count == 1 {
            throw CloudExportError(
                .wrongFormat, file, at: position,
                "the file is neither JSON (it does not start with { or [) nor a CSV with the columns of Get-MgUser or Get-MsolUser",
                fix: "Export the users with: \(CloudExportReader.recommendedCommand)")
        } else {
            let shown = header.prefix(6).map { "\"\($0)\"" }.joined(separator: ", ") + (header.count > 6 ? ", ..." : "")
            throw CloudExportError(
                .wrongFormat, file, at: position,
                "the CSV columns (\(shown)) are not those of a Get-MgUser or Get-MsolUser export",
                fix: "Export the users with: \(CloudExportReader.recommendedCommand)")
        }
        switch (options.format, kind) {
        case (.mgCSV, .msol):
            throw CloudExportError(.wrongFormat, file, at: position,
                                   "--cloud-format mg-csv was given, but the columns are those of Get-MsolUser (ObjectId, ImmutableId, ...)",
                                   fix: "Use --cloud-format msol-csv or auto")
        case (.msolCSV, .mg):
            throw CloudExportError(.wrongFormat, file, at: position,
                                   "--cloud-format msol-csv was given, but the columns are those of Get-MgUser (Id, OnPremisesImmutableId, ...)",
                                   fix: "Use --cloud-format mg-csv or auto")
        default:
            break
        }

        var columns: [(Int, Target)] = []
        for (i, name) in normalized.enumerated() {
            let target: Target?
            switch kind {
            case .mg:
                target = CloudUserField.allCases.first { $0.rawValue.lowercased() == name }.map(Target.field)
            case .msol:
                switch name {
                case "objectid": target = .field(.id)
                case "userprincipalname": target = .field(.userPrincipalName)
                case "immutableid": target = .field(.onPremisesImmutableId)
                case "lastpasswordchangetimestamp": target = .field(.lastPasswordChangeDateTime)
                case "lastdirsynctime": target = .field(.onPremisesLastSyncDateTime)
                case "blockcredential": target = .blockCredential
                default: target = nil
                }
            }
            if let target { columns.append((i, target)) }
        }
        return Layout(kind: kind, delimiter: delimiter, typeName: h.typeName, preambleRecords: h.preamble,
                      header: header, columns: columns)
    }

    // MARK: Values

    private func bool(_ text: String, _ column: String, _ sc: borrowing CSVScanner) throws(CloudExportError) -> Bool? {
        switch text {
        case "True", "true", "TRUE", "1": return true
        case "False", "false", "FALSE", "0": return false
        case "": return nil
        default: break
        }
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        case "": return nil
        default:
            throw CloudExportError(.invalidValue, file, at: sc.recordPosition,
                                   "\(column) is \"\(text)\", not True or False")
        }
    }

    private func set(_ field: CloudUserField, _ text: String, _ column: String, _ order: DateOrder?,
                     in user: inout CloudUser, _ sc: borrowing CSVScanner) throws(CloudExportError) {
        switch field {
        case .accountEnabled: user.accountEnabled = try bool(text, column, sc)
        case .onPremisesSyncEnabled: user.onPremisesSyncEnabled = try bool(text, column, sc)
        case .lastPasswordChangeDateTime:
            user.lastPasswordChangeDateTime = try date(text, column, order, sc, later: &user.lastPasswordChangeLaterReading)
        case .onPremisesLastSyncDateTime:
            // Only shown, never judged: of two readings, the earlier.
            var unused: Date?
            user.onPremisesLastSyncDateTime = try date(text, column, order, sc, later: &unused)
        case .onPremisesProvisioningErrors:
            // Export-Csv writes a nested list as its type name (`...ProvisioningError[]`), even
            // when the list is empty: that tells nothing, so it reads as no known errors.
            if !(text.hasPrefix("Microsoft.") || text.hasPrefix("System.")) {
                user.onPremisesProvisioningErrors = [text]
            }
        case .id, .userPrincipalName, .onPremisesImmutableId, .onPremisesSecurityIdentifier, .onPremisesSamAccountName,
             .onPremisesUserPrincipalName, .onPremisesDistinguishedName, .onPremisesDomainName, .passwordPolicies:
            field.setText(text, in: &user)
        }
    }

    /// A date; a local time in the hour the clocks went back reads as its earlier instant, with
    /// the later one in `later` (the rules judge the user with both).
    private func date(_ text: String, _ column: String, _ order: DateOrder?, _ sc: borrowing CSVScanner,
                      later: inout Date?) throws(CloudExportError) -> Date {
        let fields: DateFields?
        if let pattern = options.dateFormat {
            fields = pattern.fieldsOrZoned(text)
        } else if let parsed = CultureDate.parse(text) {
            fields = parsed.fields(parsed.firstDigits == 4 ? .yearMonthDay : order ?? .monthDayYear)
        } else {
            fields = nil
        }
        guard let fields else {
            throw CloudExportError(.invalidDate, file, at: sc.recordPosition,
                                   "\(column) \"\(text)\" is not a valid date"
                                   + (options.dateFormat.map { " in the form \($0.description)" } ?? ""))
        }
        if let instant = fields.instant { return instant }
        guard let zone = options.timeZone else {
            throw DateEvidence.missingZone(text, column, file, sc.recordPosition)
        }
        switch LocalTime.resolve(fields, in: zone) {
        case .date(let d): return d
        case .invalid:
            throw CloudExportError(.invalidDate, file, at: sc.recordPosition, "\(column) \"\(text)\" is not a valid date")
        case .nonexistent:
            throw CloudExportError(.invalidDate, file, at: sc.recordPosition,
                                   "\(column) \"\(text)\" does not exist in \(zone.identifier): the clocks skipped that hour",
                                   fix: "Check --cloud-timezone: it must be the time zone of the machine that ran Export-Csv")
        case .ambiguous(let earlier, let laterReading):
            later = laterReading
            return earlier
        }
    }
}

/// What the dates of a whole CSV say about their order.
struct DateEvidence {
    var monthFirstPossible = true
    var dayFirstPossible = true
    var sawDayOrMonthFirst = false
    var sawLocal = false
    var sawZoned = false
    var ambiguous: (text: String, column: String, position: SourcePosition, date: CultureDate)?
    var notMonthFirst: (text: String, position: SourcePosition)?
    var notDayFirst: (text: String, position: SourcePosition)?

    static func missingZone(_ text: String, _ column: String, _ file: String, _ position: SourcePosition) -> CloudExportError {
        CloudExportError(.missingTimeZone, file, at: position,
                         "\(column) \"\(text)\" has no time zone: Export-Csv writes the local time of the machine that ran it",
                         fix: "Give that machine's time zone with --cloud-timezone (for example Europe/Amsterdam, or UTC if it ran in UTC)")
    }

    mutating func observe(_ text: String, column: String, _ sc: borrowing CSVScanner, file: String,
                          options: CloudReadOptions) throws(CloudExportError) {
        let zoned: Bool
        if let pattern = options.dateFormat {
            guard let fields = pattern.fieldsOrZoned(text) else {
                throw CloudExportError(.invalidDate, file, at: sc.recordPosition,
                                       "\(column) \"\(text)\" does not match --cloud-date-format \"\(pattern.description)\"",
                                       fix: "Give the form the file uses, for example \"M/d/yyyy h:mm:ss tt\" or \"dd-MM-yyyy HH:mm:ss\"")
            }
            zoned = fields.offset != nil
        } else {
            guard let date = CultureDate.parse(text) else {
                throw CloudExportError(.invalidDate, file, at: sc.recordPosition,
                                       "\(column) \"\(text)\" is not a date phs-check can read",
                                       fix: "Give its form with --cloud-date-format, for example \"dd.MM.yyyy HH:mm:ss\"")
            }
            if date.firstDigits != 4 {
                if date.thirdDigits != 4 {
                    throw CloudExportError(.ambiguousDate, file, at: sc.recordPosition,
                                           "\(column) \"\(text)\" has a two-digit year, and its order of day, month and year is not certain",
                                           fix: "Give the form with --cloud-date-format, for example \"M/d/yy h:mm:ss tt\"")
                }
                sawDayOrMonthFirst = true
                if date.first > 12 {
                    monthFirstPossible = false
                    if notMonthFirst == nil { notMonthFirst = (text, sc.recordPosition) }
                }
                if date.second > 12 {
                    dayFirstPossible = false
                    if notDayFirst == nil { notDayFirst = (text, sc.recordPosition) }
                }
                if date.isAmbiguous && ambiguous == nil { ambiguous = (text, column, sc.recordPosition, date) }
            } else if date.fields(.yearMonthDay) == nil {
                throw CloudExportError(.invalidDate, file, at: sc.recordPosition, "\(column) \"\(text)\" is not a valid date")
            }
            // Only a year-first date counts its zone here; pass 2 reads the zone of any date.
            zoned = date.offset != nil && date.firstDigits == 4
        }
        if zoned {
            sawZoned = true
        } else {
            sawLocal = true
            if options.timeZone == nil { throw Self.missingZone(text, column, file, sc.recordPosition) }
        }
    }

    /// The order of the file's dates: nil when no date needs one (all year-first, or a
    /// pattern was given). Refuses a file whose every date reads both ways.
    func decide(file: String, options: CloudReadOptions) throws(CloudExportError) -> DateOrder? {
        guard options.dateFormat == nil, sawDayOrMonthFirst else { return nil }
        switch (monthFirstPossible, dayFirstPossible) {
        case (true, true):
            guard let ambiguous else { return .monthDayYear }  // every date has day == month
            let d = ambiguous.date
            let sep = ambiguous.text.unicodeScalars.first { "/-.".unicodeScalars.contains($0) }.map { String($0) } ?? "/"
            let time = ambiguous.text.lowercased().contains("m") ? "h:mm:ss tt" : "HH:mm:ss"
            let monthFirst = "MM\(sep)dd\(sep)yyyy \(time)"
            let dayFirst = "dd\(sep)MM\(sep)yyyy \(time)"
            let year = d.third
            let a = Self.monthName(d.first), b = Self.monthName(d.second)
            throw CloudExportError(
                .ambiguousDate, file, at: ambiguous.position,
                "\(ambiguous.column) \"\(ambiguous.text)\" can be \(d.second) \(a) \(year) or \(d.first) \(b) \(year), and no date in the file settles whether the day or the month comes first",
                fix: "Say which with --cloud-date-format \"\(monthFirst)\" (month first, as en-US writes) or --cloud-date-format \"\(dayFirst)\" (day first)")
        case (true, false): return .monthDayYear
        case (false, true): return .dayMonthYear
        case (false, false):
            let a = notMonthFirst!, b = notDayFirst!
            throw CloudExportError(
                .invalidDate, file, at: b.position,
                "the dates mix day-first (\"\(a.text)\", line \(a.position.line ?? 0)) and month-first (\"\(b.text)\", line \(b.position.line ?? 0)) forms",
                fix: "Export the file again from one machine, or give the form with --cloud-date-format")
        }
    }

    static func monthName(_ m: Int64) -> String {
        let names = ["January", "February", "March", "April", "May", "June", "July", "August",
                     "September", "October", "November", "December"]
        return (1...12).contains(m) ? names[Int(m) - 1] : "month \(m)"
    }
}
