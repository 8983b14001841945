/// Why a cloud export (or a `--tenant` file) could not be read right.
///
/// `description` is one or two sentences for an admin: the file, where in it (line and
/// column, and the byte offset when the file is UTF-8), what is wrong, and what to do.
/// A reader that throws has not read the export completely: treat every user it may
/// already have handed over as unusable (docs/FINDINGS.md: nothing is reported as clean).
public struct CloudExportError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The file could not be opened or read.
        case unreadableFile
        /// Zero bytes, or only whitespace.
        case empty
        /// Readable, but not a single user in it.
        case noUsers
        /// Invalid UTF-8 or UTF-16, or an encoding phs-check does not read.
        case encoding
        /// Not valid JSON or CSV at some point.
        case malformed
        /// The file ends in the middle of a document, string or quoted field.
        case truncated
        /// Readable, but not an export phs-check reads (or not the forced `--cloud-format`).
        case wrongFormat
        /// The Entra admin center "Download users" CSV: no anchor, no password time.
        case adminCenterExport
        /// Graph pages that all carry `@odata.nextLink`: the export stops early.
        case incompleteExport
        /// A date that could be read two ways.
        case ambiguousDate
        /// A date that cannot be read (or does not exist in the time zone).
        case invalidDate
        /// A date written in local time, and no `--cloud-timezone`.
        case missingTimeZone
        /// A value that is not what the field holds (a number for a name, "maybe" for a flag).
        case invalidValue
        /// `--cloud-date-format`, `--cloud-timezone` or `--cloud-format` cannot be used.
        case invalidOption
        /// No user carries a field the comparison needs (it was not asked for in the export).
        case missingField
        /// A compressed (gzip) export that is damaged or cut off, named `.gz` but not gzip, or
        /// that decompresses to more than `--max-input-size`.
        case compressed
    }

    public var kind: Kind
    /// The path as given; `-` is standard input.
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// 1-based column in bytes of the line, when known.
    public var column: Int?
    /// 0-based offset in the file's bytes; only for UTF-8 files (UTF-16 offsets are not tracked).
    public var byteOffset: Int?
    /// What is wrong, one sentence without a final period.
    public var problem: String
    /// What to do about it, a sentence without a final period.
    public var fix: String?

    public init(kind: Kind, file: String, line: Int? = nil, column: Int? = nil, byteOffset: Int? = nil,
                problem: String, fix: String? = nil) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.byteOffset = byteOffset
        self.problem = problem
        self.fix = fix
    }

    /// `users.json: line 12, column 5 (byte 345): problem. Fix.`
    public var description: String {
        var place: [String] = []
        if let line { place.append("line \(line)") }
        if let column { place.append("column \(column)") }
        var text = file == "-" ? "standard input" : file
        if !place.isEmpty { text += ": " + place.joined(separator: ", ") }
        if let byteOffset { text += place.isEmpty ? ": byte \(byteOffset)" : " (byte \(byteOffset))" }
        text += ": " + problem
        if let fix { text += ". " + fix }
        return text + "."
    }
}

/// Where in a file something is; the readers fill it and the error carries it.
struct SourcePosition: Sendable, Hashable {
    var line: Int?
    var column: Int?
    var byteOffset: Int?

    static let unknown = SourcePosition(line: nil, column: nil, byteOffset: nil)
}

extension CloudExportError {
    init(_ kind: Kind, _ file: String, at position: SourcePosition = .unknown, _ problem: String, fix: String? = nil) {
        self.init(kind: kind, file: file, line: position.line, column: position.column,
                  byteOffset: position.byteOffset, problem: problem, fix: fix)
    }

    /// A read that failed: "reading failed: …" for a file that cannot be read, or what is wrong
    /// with a compressed one (no position: the fault is in the compressed bytes, not the text).
    init(_ fault: IOFault, _ file: String, at position: SourcePosition = .unknown) {
        if fault.kind == .unreadableFile {
            self.init(.unreadableFile, file, at: position, "reading failed: \(fault.message)", fix: fault.fix)
        } else {
            self.init(fault.kind, file, fault.message, fix: fault.fix)
        }
    }
}
