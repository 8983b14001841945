/// A pull lexer for JSON over decoded UTF-8, refilled chunk by chunk: it never holds
/// more than one buffer of the file. Strings are unescaped into a scratch buffer that
/// the caller reads before asking for the next token.
///
/// Lines are counted where JSON allows a line break (whitespace), so every error has a
/// line, a column and — for UTF-8 files — the byte offset in the file.
struct JSONLexer: ~Copyable {
    private var text: BufferedText

    /// The last string read with `readString()`.
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCapacity: Int
    private(set) var scratchCount = 0
    /// The longest string read (`--max-record-size`): no input grows the scratch buffer further.
    let maxString: Int

    /// Deepest nesting accepted; deeper is refused rather than risking the stack.
    static let maxDepth = 256

    /// `capacity` is the size of the text buffer, `scratchCapacity` the first room for a string.
    init(input: DecodedInput, file: String, capacity: Int = ReadBuffers().json,
         scratchCapacity: Int = ReadBuffers().scratch, maxString: Int = InputLimits.defaultMaxRecordSize) {
        self.maxString = maxString
        text = BufferedText(input: input, file: file, capacity: capacity,
                            encodingFix: "Save the export as UTF-8 or UTF-16 with a byte order mark (PowerShell: Out-File -Encoding utf8)")
        self.scratchCapacity = max(scratchCapacity, 1)
        scratch = .allocate(capacity: self.scratchCapacity)
    }

    deinit {
        scratch.deallocate()
    }

    // MARK: Positions and errors

    struct Mark {
        var offset: Int
        var line: Int
        var lineStart: Int
    }

    var mark: Mark { Mark(offset: text.offset(text.pos), line: text.line, lineStart: text.lineStart) }

    func position(_ m: Mark) -> SourcePosition {
        text.position(line: m.line, column: m.offset - m.lineStart + 1, offset: m.offset)
    }

    var position: SourcePosition { position(mark) }

    func error(_ kind: CloudExportError.Kind, _ problem: String, fix: String? = nil, at m: Mark? = nil) -> CloudExportError {
        CloudExportError(kind, text.file, at: position(m ?? mark), problem, fix: fix)
    }

    func truncated(_ inside: String) -> CloudExportError {
        error(.truncated, "the file ends \(inside)", fix: BufferedText.cutOffFix)
    }

    // MARK: Bytes

    /// The next byte that is not JSON whitespace, not consumed; nil at the end of the text.
    mutating func peekNonWhitespace() throws(CloudExportError) -> UInt8? {
        while true {
            let buffer = text.buffer
            var p = text.pos
            let e = text.end
            while p < e {
                let b = buffer[p]
                if b == 0x20 || b == 0x09 || b == 0x0D { p += 1; continue }
                if b == 0x0A { p += 1; text.startLine(at: p); continue }
                text.pos = p
                return b
            }
            text.pos = p
            guard try text.refill() else { return nil }
        }
    }

    /// Consumes the byte `peekNonWhitespace()` returned.
    mutating func advance() {
        text.pos += 1
    }

    private mutating func nextByte(_ inside: String) throws(CloudExportError) -> UInt8 {
        guard let b = try text.peek() else { throw truncated(inside) }
        text.pos += 1
        return b
    }

    // MARK: Strings

    /// Room for `count` more bytes in the scratch buffer.
    private mutating func reserveScratch(_ count: Int) throws(CloudExportError) {
        guard scratchCount + count > scratchCapacity else { return }
        guard scratchCount + count <= maxString else {
            throw error(.malformed, "a string longer than --max-record-size \(ByteSize.format(maxString))",
                        fix: "No user property is that long: the file is damaged. If it really holds such a value, raise --max-record-size")
        }
        var newCapacity = scratchCapacity * 2
        while newCapacity < scratchCount + count { newCapacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: scratch, count: scratchCount)
        scratch.deallocate()
        scratch = grown
        scratchCapacity = newCapacity
    }

    private mutating func appendScratch(_ from: UnsafePointer<UInt8>, _ count: Int) throws(CloudExportError) {
        try reserveScratch(count)
        (scratch + scratchCount).update(from: from, count: count)
        scratchCount += count
    }

    private mutating func appendScalar(_ v: UInt32) throws(CloudExportError) {
        try reserveScratch(4)
        scratchCount += writeUTF8(v, to: scratch + scratchCount)
    }

    /// Reads a string (the current byte must be its opening quote) into the scratch buffer,
    /// unescaped; with `keep` false, only checks and skips it.
    mutating func readString(keep: Bool = true) throws(CloudExportError) {
        let start = mark
        text.pos += 1
        scratchCount = 0
        while true {
            let buffer = text.buffer
            let from = text.pos
            var p = from
            let e = text.end
            // Eight bytes at a time while none is a quote, a backslash or a control character.
            while p + 8 <= e {
                let w = UnsafeRawPointer(buffer + p).loadUnaligned(as: UInt64.self)
                let ones: UInt64 = 0x0101_0101_0101_0101
                let highs: UInt64 = 0x8080_8080_8080_8080
                let q = w ^ (ones &* 0x22)
                let bs = w ^ (ones &* 0x5C)
                let special = ((q &- ones) & ~q) | ((bs &- ones) & ~bs) | ((w &- ones &* 0x20) & ~w)
                if special & highs != 0 { break }
                p += 8
            }
            while p < e {
                let b = buffer[p]
                if b == 0x22 || b == 0x5C || b < 0x20 { break }
                p += 1
            }
            if keep && p > from { try appendScratch(buffer + from, p - from) }
            text.pos = p
            if p == e {
                guard try text.refill() else { throw truncated("inside a string that starts at line \(start.line)") }
                continue
            }
            let b = buffer[p]
            if b == 0x22 { text.pos += 1; return }
            if b < 0x20 {
                throw error(.malformed, b == 0x0A ? "a line break inside a string (a string must be closed on its line)"
                                                  : "a control character inside a string")
            }
            // An escape.
            let escapeMark = mark
            text.pos += 1
            let c = try nextByte("inside an escape sequence")
            var scalar: UInt32
            switch c {
            case 0x22, 0x5C, 0x2F: scalar = UInt32(c)
            case 0x62: scalar = 0x08
            case 0x66: scalar = 0x0C
            case 0x6E: scalar = 0x0A
            case 0x72: scalar = 0x0D
            case 0x74: scalar = 0x09
            case 0x75:
                scalar = try hex4(escapeMark)
                if Surrogate.isHigh(scalar) {
                    guard try nextByte("inside an escape sequence") == 0x5C,
                          try nextByte("inside an escape sequence") == 0x75 else {
                        throw error(.malformed, "a \\u escape holds half a surrogate pair", at: escapeMark)
                    }
                    let low = try hex4(escapeMark)
                    guard Surrogate.isLow(low) else {
                        throw error(.malformed, "a \\u escape holds half a surrogate pair", at: escapeMark)
                    }
                    scalar = Surrogate.scalar(high: scalar, low: low)
                } else if Surrogate.isLow(scalar) {
                    throw error(.malformed, "a \\u escape holds half a surrogate pair", at: escapeMark)
                }
            default:
                throw error(.malformed, "\\\(Unicode.Scalar(c)) is not a JSON escape", at: escapeMark)
            }
            if keep { try appendScalar(scalar) }
        }
    }

    private mutating func hex4(_ at: Mark) throws(CloudExportError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            let h = try nextByte("inside an escape sequence")
            let d: UInt32
            switch h {
            case 0x30...0x39: d = UInt32(h - 0x30)
            case 0x41...0x46: d = UInt32(h - 0x41 + 10)
            case 0x61...0x66: d = UInt32(h - 0x61 + 10)
            default: throw error(.malformed, "a \\u escape needs four hexadecimal digits", at: at)
            }
            v = v << 4 | d
        }
        return v
    }

    /// The scratch buffer as a String (already valid UTF-8).
    var scratchString: String {
        String(decoding: UnsafeBufferPointer(start: scratch, count: scratchCount), as: UTF8.self)
    }

    /// Calls `body` with the scratch bytes; they must not escape.
    func withScratch<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeBufferPointer(start: scratch, count: scratchCount))
    }

    /// Whether the scratch buffer equals `lower` (ASCII, lowercase) ignoring ASCII case.
    func scratchEquals(_ lower: StaticString) -> Bool {
        guard lower.utf8CodeUnitCount == scratchCount else { return false }
        let l = lower.utf8Start
        for i in 0..<scratchCount {
            var c = scratch[i]
            if c >= 0x41 && c <= 0x5A { c |= 0x20 }
            if c != l[i] { return false }
        }
        return true
    }

    // MARK: Other values

    /// Reads `true`, `false` or `null` at the current byte.
    mutating func readLiteral() throws(CloudExportError) -> Bool? {
        let start = mark
        let first = try nextByte("inside a value")
        let rest: [UInt8]
        let value: Bool?
        switch first {
        case 0x74: rest = Array("rue".utf8); value = true
        case 0x66: rest = Array("alse".utf8); value = false
        case 0x6E: rest = Array("ull".utf8); value = nil
        default: throw error(.malformed, "unexpected \(Self.describe(first))", at: start)
        }
        for r in rest {
            guard try nextByte("inside a value") == r else {
                throw error(.malformed, "unexpected text where true, false or null was expected", at: start)
            }
        }
        try checkDelimiterFollows(start)
        return value
    }

    /// Skips a number at the current byte, checking its grammar; returns its text.
    @discardableResult
    mutating func readNumber() throws(CloudExportError) -> String {
        let start = mark
        var digits: [UInt8] = []
        func isDigit(_ b: UInt8?) -> Bool { b.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        var b = try text.peek()
        if b == 0x2D { digits.append(0x2D); text.pos += 1; b = try text.peek() }
        guard isDigit(b) else { throw error(.malformed, "a number without digits", at: start) }
        if b == 0x30 {
            digits.append(0x30); text.pos += 1; b = try text.peek()
        } else {
            while isDigit(b) { digits.append(b!); text.pos += 1; b = try text.peek() }
        }
        if b == 0x2E {
            digits.append(0x2E); text.pos += 1; b = try text.peek()
            guard isDigit(b) else { throw error(.malformed, "a number with nothing after its decimal point", at: start) }
            while isDigit(b) { digits.append(b!); text.pos += 1; b = try text.peek() }
        }
        if b == 0x65 || b == 0x45 {
            digits.append(b!); text.pos += 1; b = try text.peek()
            if b == 0x2B || b == 0x2D { digits.append(b!); text.pos += 1; b = try text.peek() }
            guard isDigit(b) else { throw error(.malformed, "a number with an empty exponent", at: start) }
            while isDigit(b) { digits.append(b!); text.pos += 1; b = try text.peek() }
        }
        try checkDelimiterFollows(start)
        return String(decoding: digits, as: UTF8.self)
    }

    /// After a literal or number, the next byte must end the value (`1x`, `truex` are malformed).
    private mutating func checkDelimiterFollows(_ start: Mark) throws(CloudExportError) {
        guard let b = try text.peek() else { return }
        switch b {
        case 0x20, 0x09, 0x0A, 0x0D, 0x2C, 0x5D, 0x7D: return
        default: throw error(.malformed, "unexpected \(Self.describe(b)) right after a value", at: mark)
        }
    }

    /// Skips any value at the next non-whitespace byte, checking it is well formed.
    mutating func skipValue(depth: Int = 0) throws(CloudExportError) {
        guard let b = try peekNonWhitespace() else { throw truncated("where a value was expected") }
        switch b {
        case 0x22: try readString(keep: false)
        case 0x7B:
            try enterContainer(depth)
            advance()
            var first = true
            while try nextMember(first: &first) {
                try skipValue(depth: depth + 1)
            }
        case 0x5B:
            try enterContainer(depth)
            advance()
            var first = true
            while try nextElement(first: &first) {
                try skipValue(depth: depth + 1)
            }
        case 0x2D, 0x30...0x39: try readNumber()
        case 0x74, 0x66, 0x6E: _ = try readLiteral()
        default: throw error(.malformed, "unexpected \(Self.describe(b)) where a value was expected")
        }
    }

    func enterContainer(_ depth: Int) throws(CloudExportError) {
        if depth >= Self.maxDepth {
            throw error(.malformed, "values are nested more than \(Self.maxDepth) levels deep")
        }
    }

    /// Inside an object after its `{`: reads the next key into the scratch buffer and its `:`;
    /// false after the closing `}`. `first` tracks whether a comma is needed.
    mutating func nextMember(first: inout Bool) throws(CloudExportError) -> Bool {
        guard var b = try peekNonWhitespace() else { throw truncated("inside an object") }
        if b == 0x7D { advance(); return false }
        if !first {
            guard b == 0x2C else { throw error(.malformed, "expected , or } after a member of an object, found \(Self.describe(b))") }
            advance()
            guard let next = try peekNonWhitespace() else { throw truncated("inside an object") }
            b = next
        }
        first = false
        guard b == 0x22 else {
            throw error(.malformed, b == 0x7D ? "a comma before } (trailing commas are not JSON)"
                                              : "expected a quoted key, found \(Self.describe(b))")
        }
        try readString()
        guard let colon = try peekNonWhitespace() else { throw truncated("inside an object") }
        guard colon == 0x3A else { throw error(.malformed, "expected : after a key, found \(Self.describe(colon))") }
        advance()
        return true
    }

    /// Inside an array after its `[`: positions before the next element; false after `]`.
    mutating func nextElement(first: inout Bool) throws(CloudExportError) -> Bool {
        guard let b = try peekNonWhitespace() else { throw truncated("inside an array") }
        if b == 0x5D { advance(); return false }
        if !first {
            guard b == 0x2C else { throw error(.malformed, "expected , or ] after an element of an array, found \(Self.describe(b))") }
            advance()
            guard let next = try peekNonWhitespace() else { throw truncated("inside an array") }
            if next == 0x5D { throw error(.malformed, "a comma before ] (trailing commas are not JSON)") }
        }
        first = false
        return true
    }

    static func describe(_ b: UInt8) -> String {
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return String(format: "byte 0x%02X", b)
    }

    // MARK: A small tree, for the few values read whole (tenant files, provisioning errors)

    mutating func readValue(depth: Int = 0) throws(CloudExportError) -> JSONValue {
        guard let b = try peekNonWhitespace() else { throw truncated("where a value was expected") }
        switch b {
        case 0x22:
            try readString()
            return .string(scratchString)
        case 0x7B:
            try enterContainer(depth)
            advance()
            var members: [(String, JSONValue)] = []
            var first = true
            while try nextMember(first: &first) {
                let key = scratchString
                members.append((key, try readValue(depth: depth + 1)))
            }
            return .object(members)
        case 0x5B:
            try enterContainer(depth)
            advance()
            var elements: [JSONValue] = []
            var first = true
            while try nextElement(first: &first) {
                elements.append(try readValue(depth: depth + 1))
            }
            return .array(elements)
        case 0x2D, 0x30...0x39:
            return .number(try readNumber())
        case 0x74, 0x66, 0x6E:
            return try readLiteral().map(JSONValue.bool) ?? .null
        default:
            throw error(.malformed, "unexpected \(Self.describe(b)) where a value was expected")
        }
    }
}

import Foundation
import SyncAudit

/// A JSON value held whole; only for small values.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// The member named `key`, compared ignoring case (Graph camelCase, PowerShell PascalCase).
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0.caseInsensitiveCompare(key) == .orderedSame }?.1
    }

    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var bool: Bool? {
        switch self {
        case .bool(let b): return b
        case .string(let s):
            switch s.lowercased() {
            case "true": return true
            case "false": return false
            default: return nil
            }
        default: return nil
        }
    }
}
