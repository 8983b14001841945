/// RFC 4180 records over decoded UTF-8, as PowerShell's `Export-Csv` writes them: fields
/// in double quotes (`""` for a quote) may hold the delimiter and line breaks; CRLF or LF
/// ends a record; blank lines are skipped. One record is held at a time.
struct CSVScanner: ~Copyable {
    let input: DecodedInput
    let file: String
    let delimiter: UInt8
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity = 1 << 16
    private var pos = 0
    private var end = 0
    private var base = 0
    private var atEOF = false
    private var line = 1
    private var lineStart = 0

    /// The current record: the bytes of all fields, and where each field ends.
    private(set) var bytes: [UInt8] = []
    private(set) var ends: [Int] = []
    /// Line on which the current record starts, and its decoded offset.
    private(set) var recordLine = 1
    private(set) var recordOffset = 0

    init(input: DecodedInput, file: String, delimiter: UInt8) {
        self.input = input
        self.file = file
        self.delimiter = delimiter
        buffer = .allocate(capacity: capacity)
        bytes.reserveCapacity(4096)
    }

    deinit {
        buffer.deallocate()
    }

    var fieldCount: Int { ends.count }

    func field(_ i: Int) -> String {
        let start = i == 0 ? 0 : ends[i - 1]
        return bytes[start..<ends[i]].withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
    }

    func fieldIsEmpty(_ i: Int) -> Bool {
        (i == 0 ? 0 : ends[i - 1]) == ends[i]
    }

    /// The position of the current record, for errors.
    var recordPosition: SourcePosition {
        SourcePosition(line: recordLine, column: nil,
                       byteOffset: input.encoding.isUTF8 ? recordOffset + input.encoding.bomLength : nil)
    }

    private var here: SourcePosition {
        SourcePosition(line: line, column: base + pos - lineStart + 1,
                       byteOffset: input.encoding.isUTF8 ? base + pos + input.encoding.bomLength : nil)
    }

    private mutating func refill() throws(CloudExportError) -> Bool {
        if pos < end { return true }
        if atEOF { return false }
        base += end
        pos = 0
        end = 0
        do {
            let n = try input.read(into: buffer, capacity: capacity)
            if n == 0 { atEOF = true; return false }
            end = n
            return true
        } catch {
            switch error {
            case .io(let message):
                throw CloudExportError(.unreadableFile, file, at: here, "reading failed: \(message)")
            case .truncated(let message):
                throw CloudExportError(.truncated, file, at: here, message,
                                       fix: "The export was cut off: take it again and make sure the whole file is copied")
            case .invalid(let message):
                throw CloudExportError(.encoding, file, at: here, message,
                                       fix: "Save the export as UTF-8 (Export-Csv -Encoding utf8) or UTF-16 with a byte order mark")
            }
        }
    }

    private mutating func peek() throws(CloudExportError) -> UInt8? {
        guard try refill() else { return nil }
        return buffer[pos]
    }

    private mutating func newline() {
        line += 1
        lineStart = base + pos
    }

    /// Reads the next record; false at the end of the text.
    mutating func nextRecord() throws(CloudExportError) -> Bool {
        while true {
            bytes.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            guard try peek() != nil else { return false }
            recordLine = line
            recordOffset = base + pos
            var sawQuote = false
            fields: while true {
                var b = try peek()
                if b == 0x22 {
                    sawQuote = true
                    let open = here
                    pos += 1
                    while true {
                        guard let c = try peek() else {
                            throw CloudExportError(.truncated, file, at: open,
                                                   "a quoted field opens here and is never closed",
                                                   fix: "The file was cut off or a quote is missing: export it again")
                        }
                        pos += 1
                        if c == 0x22 {
                            if try peek() == 0x22 { pos += 1; bytes.append(0x22); continue }
                            break
                        }
                        bytes.append(c)
                        if c == 0x0A { newline() }
                    }
                    b = try peek()
                    if let after = b, after != delimiter, after != 0x0D, after != 0x0A {
                        throw CloudExportError(.malformed, file, at: here,
                                               "unexpected \(JSONLexer.describe(after)) after the closing quote of a field",
                                               fix: "A quote inside a quoted field must be doubled (\"\")")
                    }
                } else {
                    var p = pos
                    while true {
                        let e = end
                        while p < e {
                            let c = buffer[p]
                            if c == delimiter || c == 0x0D || c == 0x0A { break }
                            p += 1
                        }
                        bytes.append(contentsOf: UnsafeBufferPointer(start: buffer + pos, count: p - pos))
                        pos = p
                        if p < end { break }
                        guard try refill() else { break }
                        p = pos
                    }
                    b = try peek()
                }
                ends.append(bytes.count)
                guard let sep = b else { break fields }
                pos += 1
                if sep == delimiter { continue fields }
                if sep == 0x0D, try peek() == 0x0A { pos += 1 }
                newline()
                break fields
            }
            // A blank line is no record.
            if ends.count == 1 && ends[0] == 0 && !sawQuote { continue }
            return true
        }
    }
}
