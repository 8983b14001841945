/// Decoded text one buffer at a time, for the JSON lexer and the CSV scanner: they scan
/// `buffer[pos..<end]` themselves, call `refill()` when it runs out, and count the lines
/// where their grammar has line breaks. A decoding fault becomes a `CloudExportError`
/// at the place the valid text stops.
struct BufferedText: ~Copyable {
    let input: DecodedInput
    let file: String
    /// What an encoding error tells to do: how to save this kind of export.
    private let encodingFix: String
    let buffer: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    /// The next unread byte, and the end of the decoded bytes in `buffer`.
    var pos = 0
    private(set) var end = 0
    /// Decoded offset of `buffer[0]`.
    private(set) var base = 0
    private var atEOF = false
    /// The current line, and the decoded offset at which it starts.
    private(set) var line = 1
    private(set) var lineStart = 0

    static let cutOffFix = "The export was cut off: take it again and make sure the whole file is copied"

    init(input: DecodedInput, file: String, capacity: Int, encodingFix: String) {
        self.input = input
        self.file = file
        self.encodingFix = encodingFix
        // DecodedInput.read needs room for one whole character.
        self.capacity = max(capacity, ReadBuffers.minimum)
        buffer = .allocate(capacity: self.capacity)
    }

    deinit {
        buffer.deallocate()
    }

    /// Decoded offset of `buffer[p]`.
    func offset(_ p: Int) -> Int { base + p }

    /// A line starts at `buffer[p]` (the byte after a line break).
    mutating func startLine(at p: Int) {
        line += 1
        lineStart = base + p
    }

    /// A place in the text; the byte offset in the file only for UTF-8, whose offsets are the file's.
    func position(line: Int, column: Int?, offset: Int) -> SourcePosition {
        SourcePosition(line: line, column: column,
                       byteOffset: input.encoding.isUTF8 ? offset + input.encoding.bomLength : nil)
    }

    /// The position of the next unread byte.
    var here: SourcePosition {
        position(line: line, column: base + pos - lineStart + 1, offset: base + pos)
    }

    /// Makes at least one unread byte available; false at the end of the text.
    mutating func refill() throws(CloudExportError) -> Bool {
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
            case .io(let fault):
                throw CloudExportError(fault, file, at: here)
            case .truncated(let message):
                throw CloudExportError(.truncated, file, at: here, message, fix: Self.cutOffFix)
            case .invalid(let message):
                throw CloudExportError(.encoding, file, at: here, message, fix: encodingFix)
            }
        }
    }

    /// The next byte, not consumed; nil at the end of the text.
    mutating func peek() throws(CloudExportError) -> UInt8? {
        guard try refill() else { return nil }
        return buffer[pos]
    }
}
