import SyncAudit

/// RFC 4180 records over decoded UTF-8, as PowerShell's `Export-Csv` writes them: fields
/// in double quotes (`""` for a quote) may hold the delimiter and line breaks; CRLF or LF
/// ends a record; blank lines are skipped. One record is held at a time.
struct CSVScanner: ~Copyable {
    let delimiter: UInt8
    private var text: BufferedText

    /// The current record: the bytes of all fields, and where each field ends.
    private(set) var bytes: [UInt8] = []
    private(set) var ends: [Int] = []
    /// Line on which the current record starts, and its decoded offset.
    private(set) var recordLine = 1
    private(set) var recordOffset = 0

    /// The longest record (`--max-record-size`): a line that never ends cannot grow `bytes`
    /// without bound.
    let maxRecord: Int

    /// `capacity` is the size of the text buffer.
    init(input: DecodedInput, file: String, delimiter: UInt8, capacity: Int = ReadBuffers().csv,
         maxRecord: Int = InputLimits.defaultMaxRecordSize) {
        self.delimiter = delimiter
        self.maxRecord = maxRecord
        text = BufferedText(input: input, file: file, capacity: capacity,
                            encodingFix: "Save the export as UTF-8 (Export-Csv -Encoding utf8) or UTF-16 with a byte order mark")
        bytes.reserveCapacity(4096)
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
        text.position(line: recordLine, column: nil, offset: recordOffset)
    }

    /// No export holds a NUL character in text: the file is binary, or UTF-16 without the byte
    /// order mark that would say so.
    private func nulError() -> CloudExportError {
        CloudExportError(.encoding, text.file, at: text.here, "a NUL character (byte 0x00) inside a field",
                         fix: "The file is not text, or is UTF-16 without a byte order mark: save it again as UTF-8 (Export-Csv -Encoding utf8)")
    }

    private func tooLong() -> CloudExportError {
        CloudExportError(.malformed, text.file, at: recordPosition, "a record longer than --max-record-size \(ByteSize.format(maxRecord))",
                         fix: "A user's row is far shorter: the file is damaged or not a CSV export. If it really is one, raise --max-record-size")
    }

    /// Reads the next record; false at the end of the text.
    mutating func nextRecord() throws(CloudExportError) -> Bool {
        while true {
            bytes.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            guard try text.peek() != nil else { return false }
            recordLine = text.line
            recordOffset = text.offset(text.pos)
            var sawQuote = false
            fields: while true {
                var b = try text.peek()
                // A byte order mark at the start of a field is not part of it: a file saved with
                // two, or joined from several exports, has one before its header's first quote,
                // which would otherwise hide that column's name. (The decoder hands over whole
                // characters, so all three bytes are in the buffer.)
                if b == 0xEF, text.pos + 2 < text.end, text.buffer[text.pos + 1] == 0xBB, text.buffer[text.pos + 2] == 0xBF {
                    text.pos += 3
                    b = try text.peek()
                }
                if b == 0x22 {
                    sawQuote = true
                    let open = text.here
                    text.pos += 1
                    while true {
                        guard let c = try text.peek() else {
                            throw CloudExportError(.truncated, text.file, at: open,
                                                   "a quoted field opens here and is never closed",
                                                   fix: "The file was cut off or a quote is missing: export it again")
                        }
                        text.pos += 1
                        if c == 0x22 {
                            if try text.peek() == 0x22 { text.pos += 1; bytes.append(0x22); continue }
                            break
                        }
                        if c == 0 { throw nulError() }
                        bytes.append(c)
                        if bytes.count > maxRecord { throw tooLong() }
                        if c == 0x0A { text.startLine(at: text.pos) }
                    }
                    b = try text.peek()
                    if let after = b, after != delimiter, after != 0x0D, after != 0x0A {
                        throw CloudExportError(.malformed, text.file, at: text.here,
                                               "unexpected \(JSONLexer.describe(after)) after the closing quote of a field",
                                               fix: "A quote inside a quoted field must be doubled (\"\")")
                    }
                } else {
                    while true {
                        let buffer = text.buffer
                        let from = text.pos
                        var p = from
                        let e = text.end
                        while p < e {
                            let c = buffer[p]
                            if c == delimiter || c == 0x0D || c == 0x0A { break }
                            if c == 0 { text.pos = p; throw nulError() }
                            p += 1
                        }
                        bytes.append(contentsOf: UnsafeBufferPointer(start: buffer + from, count: p - from))
                        text.pos = p
                        if bytes.count > maxRecord { throw tooLong() }
                        if p < e { break }
                        guard try text.refill() else { break }
                    }
                    b = try text.peek()
                }
                ends.append(bytes.count)
                guard let sep = b else { break fields }
                text.pos += 1
                if sep == delimiter { continue fields }
                if sep == 0x0D, try text.peek() == 0x0A { text.pos += 1 }
                text.startLine(at: text.pos)
                break fields
            }
            // A blank line is no record.
            if ends.count == 1 && ends[0] == 0 && !sawQuote { continue }
            return true
        }
    }
}
