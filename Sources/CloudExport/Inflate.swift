// DEFLATE (RFC 1951) decoding, for compressed exports (Gzip.swift). Pure Swift: the project
// keeps C to the LDAP modules (docs/DECISIONS.md), so zlib is not linked.
//
// How it is fast enough (Benchmarks/gunzip.sh measures it against `gzip -dc`):
// - Input is read in large chunks into one buffer; bits are taken from a 64-bit bit buffer that
//   is refilled 8 bytes at a time with one unaligned load while 8 bytes are left in the chunk,
//   byte by byte (pulling the next chunk) only near its end.
// - Huffman codes are decoded through tables: a 10-bit primary table for literals/lengths and an
//   8-bit one for distances, whose entries give the symbol's value (a literal byte, or a base and
//   its count of extra bits) and the code's length; codes longer than the primary width go
//   through a second-level table the primary entry points to. One lookup per symbol.
// - After one refill the bit buffer holds at least 56 bits, enough for a whole length/distance
//   pair (15 + 5 + 15 + 13 bits), so the loop refills once per symbol.
// - Output goes into one buffer holding the 32 KiB window and the output not yet handed over;
//   matches are copied 8 bytes at a time when the distance allows. The loop works on local
//   copies of the state, with wrapping arithmetic and unchecked pointers; every index it forms
//   is bounded by construction (table entries point inside their table, a distance is checked
//   against the history before the copy, the output stops 266 bytes before the buffer's end).
//
// Past the end of the input the bit buffer is padded with zero bytes, counted: a decoder that
// uses a padding bit has read past the end, and that is reported as truncated data.

/// Why a DEFLATE stream cannot be decoded.
enum InflateFault: Error {
    /// The input ends before the stream (or its gzip trailer) does.
    case truncated
    /// The data breaks the format; what is wrong, for the message.
    case damaged(String)
    /// Reading the input failed.
    case read(IOFault)
}

/// A Huffman decoding table entry (`UInt32`):
///
///     bits 0–4   the bits the entry consumes (the code's length, or the primary width for a link)
///     bits 8–12  extra bits to read after the code (lengths, distances); for a link, the
///                second-level table's width
///     bits 13–15 the kind: literal, base (a length or distance), end of block, link, invalid
///     bits 16–31 the value: the literal byte, the base, or where the second-level table starts
enum HuffmanEntry {
    static let kindMask: UInt32 = 7 << 13
    static let base: UInt32 = 0 << 13
    static let literal: UInt32 = 1 << 13
    static let endOfBlock: UInt32 = 2 << 13
    static let link: UInt32 = 3 << 13
    static let invalid: UInt32 = 4 << 13

    static func make(_ kind: UInt32, value: Int, extra: Int = 0) -> UInt32 {
        kind | UInt32(value) << 16 | UInt32(extra) << 8
    }

    /// The entry of each literal/length symbol (0–287), without its code length.
    static let literalLength: [UInt32] = (0..<288).map { symbol in
        switch symbol {
        case 0..<256: make(literal, value: symbol)
        case 256: make(endOfBlock, value: 0)
        case 257..<286: make(base, value: Int(lengthBase[symbol - 257]), extra: Int(lengthExtra[symbol - 257]))
        default: make(invalid, value: 0)  // 286 and 287 occur in the fixed code but mean nothing
        }
    }

    /// The entry of each distance symbol (0–31), without its code length.
    static let distance: [UInt32] = (0..<32).map { symbol in
        symbol < 30 ? make(base, value: Int(distanceBase[symbol]), extra: Int(distanceExtra[symbol]))
                    : make(invalid, value: 0)  // 30 and 31 occur in the fixed code but mean nothing
    }

    /// The code length code's symbols (0–18), read as literals.
    static let codeLength: [UInt32] = (0..<19).map { make(literal, value: $0) }

    static let lengthBase: [UInt16] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                       35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                       3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase: [UInt16] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
                                         257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
                                         8193, 12289, 16385, 24577]
    static let distanceExtra: [UInt8] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
                                         7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
}

/// A two-level Huffman decoding table in memory it owns.
struct HuffmanTable: ~Copyable {
    let entries: UnsafeMutablePointer<UInt32>
    /// The primary table's width in bits.
    let primaryBits: Int
    let capacity: Int

    /// Room for `symbols` codes of up to `maxLength` bits: the primary table, and a second-level
    /// table of `maxLength - primaryBits` bits for each code that can be longer (at most one
    /// second-level table per long code).
    init(primaryBits: Int, symbols: Int, maxLength: Int) {
        self.primaryBits = primaryBits
        capacity = (1 << primaryBits) + (maxLength > primaryBits ? symbols << (maxLength - primaryBits) : 0)
        entries = .allocate(capacity: capacity)
        entries.initialize(repeating: HuffmanEntry.invalid, count: capacity)
    }

    deinit {
        entries.deallocate()
    }

    enum Completeness {
        /// Every code must be used (the code length code).
        case complete
        /// As zlib accepts: complete, or a single code of length 1, or no code at all.
        case singleCodeMayBeShort
    }

    /// Builds the canonical code of `lengths` (0 = the symbol has no code) with `symbolEntries`
    /// as each symbol's entry; nil when it is built, else what is wrong with the lengths.
    func build(lengths: UnsafeBufferPointer<UInt8>, symbolEntries: UnsafeBufferPointer<UInt32>,
                        completeness: Completeness) -> String? {
        var count = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &count) { raw -> String? in
            let count = raw.bindMemory(to: Int.self)
            for length in lengths { count[Int(length)] += 1 }
            count[0] = 0
            var maxLength = 0
            for length in 1...15 where count[length] > 0 { maxLength = length }
            let primarySize = 1 << primaryBits
            if maxLength == 0 {
                // No codes: a distance code of a block with literals only. Any lookup is invalid.
                entries.update(repeating: HuffmanEntry.invalid, count: primarySize)
                return completeness == .complete ? "a Huffman code without codes" : nil
            }
            var left = 1
            for length in 1...15 {
                left <<= 1
                left -= count[length]
                if left < 0 { return "a Huffman code with more codes than its lengths allow (over-subscribed)" }
            }
            if left > 0 && (completeness == .complete || maxLength != 1) {
                return "a Huffman code with unused codes (incomplete)"
            }

            // Symbols sorted by code length, then by value: the canonical order.
            var offsets = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            return withUnsafeMutableBytes(of: &offsets) { raw -> String? in
                let offsets = raw.bindMemory(to: Int.self)
                for length in 1..<15 { offsets[length + 1] = offsets[length] + count[length] }
                let sorted = UnsafeMutablePointer<UInt16>.allocate(capacity: 288)
                defer { sorted.deallocate() }
                for (symbol, length) in lengths.enumerated() where length > 0 {
                    sorted[offsets[Int(length)]] = UInt16(symbol)
                    offsets[Int(length)] += 1
                }
                let used = offsets[15]

                entries.update(repeating: HuffmanEntry.invalid, count: primarySize)
                let subBits = max(maxLength - primaryBits, 0)
                let subSize = 1 << subBits
                var next = primarySize
                var currentPrefix = -1
                var code = 0
                var codeLength = Int(lengths[Int(sorted[0])])
                for i in 0..<used {
                    let symbol = Int(sorted[i])
                    let length = Int(lengths[symbol])
                    if length > codeLength {
                        code <<= length - codeLength
                        codeLength = length
                    }
                    // DEFLATE sends codes from their most significant bit; the bit buffer holds
                    // the first bit lowest, so the table is indexed by the reversed code.
                    var reversed = 0
                    for b in 0..<length where code & (1 << b) != 0 { reversed |= 1 << (length - 1 - b) }
                    let entry = symbolEntries[symbol]
                    if length <= primaryBits {
                        let e = entry | UInt32(length)
                        var index = reversed
                        while index < primarySize {
                            entries[index] = e
                            index += 1 << length
                        }
                    } else {
                        let prefix = reversed & (primarySize - 1)
                        if prefix != currentPrefix {
                            // Canonical codes that share their first primaryBits bits are
                            // consecutive, so each prefix starts its table once.
                            guard next + subSize <= capacity else { return "a Huffman table overflow" }
                            entries.advanced(by: next).update(repeating: HuffmanEntry.invalid, count: subSize)
                            entries[prefix] = HuffmanEntry.make(HuffmanEntry.link, value: next, extra: subBits) | UInt32(primaryBits)
                            currentPrefix = prefix
                            next += subSize
                        }
                        let rest = length - primaryBits
                        let e = entry | UInt32(rest)
                        let start = entries[prefix] >> 16
                        var index = reversed >> primaryBits
                        while index < subSize {
                            entries[Int(start) + index] = e
                            index += 1 << rest
                        }
                    }
                    code += 1
                }
                return nil
            }
        }
    }
}

/// Decodes a DEFLATE stream pulled from a `ByteStream` into a buffer that holds the last 32 KiB
/// (the window) and the output not handed over yet. `Gzip.swift` frames it: the gzip header and
/// trailer are read through `readByte`, and the output is handed out from `output`.
final class Inflater {
    let source: any ByteStream

    // Input: a chunk of the source, and the bit buffer.
    private let input: UnsafeMutablePointer<UInt8>
    private let inputCapacity: Int
    private var inPos = 0
    private var inEnd = 0
    private var inputEOF = false
    /// Source bytes before `input[0]`.
    private var consumedBefore = 0
    /// Bits not consumed yet, the first lowest; `bitCount` of them are valid (at most 63). Bits
    /// above them are zero or the same bits the input holds next.
    private var bitBuffer: UInt64 = 0
    private var bitCount = 0
    /// Zero bytes put in the bit buffer past the end of the input (the last `padding * 8` of its
    /// valid bits); consuming one means the data is truncated.
    private var padding = 0

    // Output.
    static let windowSize = 32_768
    /// The window, then `outputRoom` bytes for output, then slack for the longest match
    /// (258) and the 8-byte copies' overrun.
    let output: UnsafeMutablePointer<UInt8>
    private let outputLimit: Int
    private let outputCapacity: Int
    /// The end of the output so far.
    private(set) var outPos = 0
    /// The first byte a distance may reach: where this stream's output began, or 0.
    private var historyStart = 0

    // Blocks.
    private enum Block {
        case header
        case stored(remaining: Int)
        case fixed
        case dynamic
    }
    private var block = Block.header
    private var finalBlock = false

    private let literalTable = HuffmanTable(primaryBits: 10, symbols: 288, maxLength: 15)
    private let distanceTable = HuffmanTable(primaryBits: 8, symbols: 32, maxLength: 15)
    private let fixedLiteralTable = HuffmanTable(primaryBits: 10, symbols: 288, maxLength: 15)
    private let fixedDistanceTable = HuffmanTable(primaryBits: 8, symbols: 32, maxLength: 15)
    private let codeLengthTable = HuffmanTable(primaryBits: 7, symbols: 19, maxLength: 7)
    /// The code lengths of a dynamic block (literal/length then distance), 320 at most.
    private let lengths: UnsafeMutablePointer<UInt8>

    /// How much output is held beyond the window before it must be handed over.
    static let outputRoom = 1 << 17

    /// `prefix`: bytes already taken from `source` (format detection), read first.
    /// `inputCapacity`: how much of the source is read at a time.
    init(source: any ByteStream, prefix: [UInt8], inputCapacity: Int) {
        self.source = source
        self.inputCapacity = max(inputCapacity, prefix.count, 1)
        input = .allocate(capacity: self.inputCapacity)
        for (i, b) in prefix.enumerated() { input[i] = b }
        inEnd = prefix.count
        outputLimit = Self.windowSize + Self.outputRoom
        outputCapacity = outputLimit + 258 + 16
        output = .allocate(capacity: outputCapacity)
        lengths = .allocate(capacity: 320)
        lengths.initialize(repeating: 0, count: 320)

        // The fixed code (RFC 1951 3.2.6).
        for s in 0..<144 { lengths[s] = 8 }
        for s in 144..<256 { lengths[s] = 9 }
        for s in 256..<280 { lengths[s] = 7 }
        for s in 280..<288 { lengths[s] = 8 }
        let literalProblem = HuffmanEntry.literalLength.withUnsafeBufferPointer {
            fixedLiteralTable.build(lengths: UnsafeBufferPointer(start: lengths, count: 288), symbolEntries: $0,
                                    completeness: .complete)
        }
        for s in 0..<32 { lengths[s] = 5 }
        let distanceProblem = HuffmanEntry.distance.withUnsafeBufferPointer {
            fixedDistanceTable.build(lengths: UnsafeBufferPointer(start: lengths, count: 32), symbolEntries: $0,
                                     completeness: .complete)
        }
        precondition(literalProblem == nil && distanceProblem == nil, "the fixed Huffman code is built wrong")
    }

    deinit {
        input.deallocate()
        output.deallocate()
        lengths.deallocate()
    }

    /// The offset in the source of the next byte not yet decoded, for messages.
    var sourceOffset: Int { consumedBefore + inPos - max(bitCount - padding * 8, 0) / 8 }

    /// The input has ended and zero bytes were put after it into the bit buffer: what is
    /// decoded now may come from them.
    var isPastEnd: Bool { padding > 0 }

    /// Back to the start of the source; false when it cannot go back.
    func rewind() -> Bool {
        guard source.rewind() else { return false }
        inPos = 0
        inEnd = 0
        inputEOF = false
        consumedBefore = 0
        bitBuffer = 0
        bitCount = 0
        padding = 0
        outPos = 0
        historyStart = 0
        block = .header
        finalBlock = false
        return true
    }

    /// A new DEFLATE stream starts (a gzip member): no distance reaches back before it.
    func startStream() {
        historyStart = outPos
        block = .header
        finalBlock = false
    }

    /// Makes room for more output once everything up to `outPos` has been handed over: keeps
    /// the last 32 KiB of this stream's output at the buffer's start.
    func makeRoom() {
        guard outPos >= outputLimit else { return }
        let keep = min(Self.windowSize, outPos - historyStart)
        output.update(from: output + (outPos - keep), count: keep)
        outPos = keep
        historyStart = 0
    }

    // MARK: Input

    /// The next chunk of the source, once the current one is used up.
    private func pull() throws(InflateFault) {
        consumedBefore += inEnd
        inPos = 0
        inEnd = 0
        let n: Int
        do {
            n = try source.read(into: input, count: inputCapacity)
        } catch {
            throw .read(error)
        }
        if n == 0 { inputEOF = true } else { inEnd = n }
    }

    /// Fills the bit buffer to at least 56 bits, byte by byte, pulling chunks and, past the end
    /// of the input, padding with zero bytes.
    private func refill() throws(InflateFault) {
        while bitCount < 56 {
            if inPos < inEnd {
                bitBuffer |= UInt64(input[inPos]) << UInt64(bitCount)
                inPos += 1
                bitCount += 8
            } else if !inputEOF {
                try pull()
            } else {
                try checkNotPastEnd()
                // Padding is zeros, whatever the bits above the valid ones held.
                bitBuffer &= (1 << UInt64(bitCount)) &- 1
                padding += 1
                bitCount += 8
            }
        }
    }

    /// Throws when a padding bit was consumed.
    @inline(__always)
    private func checkNotPastEnd() throws(InflateFault) {
        if bitCount < padding * 8 { throw .truncated }
    }

    /// The next `n` bits (at most 32).
    private func bits(_ n: Int) throws(InflateFault) -> Int {
        if bitCount < n { try refill() }
        let value = Int(truncatingIfNeeded: bitBuffer) & ((1 << n) - 1)
        bitBuffer >>= UInt64(n)
        bitCount -= n
        try checkNotPastEnd()
        return value
    }

    /// Drops the bits up to the next byte boundary.
    func alignToByte() {
        let n = bitCount & 7
        bitBuffer >>= UInt64(n)
        bitCount -= n
    }

    /// The next byte, after `alignToByte`.
    func readByte() throws(InflateFault) -> UInt8 {
        if bitCount >= 8 {
            guard bitCount - padding * 8 >= 8 else { throw .truncated }
            let b = UInt8(truncatingIfNeeded: bitBuffer)
            bitBuffer >>= 8
            bitCount -= 8
            return b
        }
        guard padding == 0 else { throw .truncated }
        while inPos == inEnd {
            if inputEOF { throw .truncated }
            try pull()
        }
        // The bits above the (empty) buffer are this byte's: it is consumed here instead.
        bitBuffer = 0
        let b = input[inPos]
        inPos += 1
        return b
    }

    /// True when the source has no byte left, after `alignToByte`.
    func atEnd() throws(InflateFault) -> Bool {
        if bitCount - padding * 8 > 0 { return false }
        // What is left in the bit buffer is padding only.
        bitBuffer = 0
        bitCount = 0
        let padded = padding > 0
        padding = 0
        if padded { return true }
        while inPos == inEnd {
            if inputEOF { return true }
            try pull()
        }
        return false
    }

    // MARK: Blocks

    /// Decodes until the output room is full, `atMost` bytes were written (give or take one
    /// match), or the stream ends; true at the end of the stream. Call `makeRoom` first.
    func inflate(atMost: Int = .max) throws(InflateFault) -> Bool {
        let stop = outPos + min(outputLimit - outPos, atMost)
        while outPos < stop {
            switch block {
            case .header:
                let header = try bits(3)
                finalBlock = header & 1 != 0
                switch header >> 1 {
                case 0:
                    alignToByte()
                    let len = Int(try readByte()) | Int(try readByte()) << 8
                    let nlen = Int(try readByte()) | Int(try readByte()) << 8
                    guard len == ~nlen & 0xFFFF else {
                        throw .damaged("a stored block's length does not match its check (LEN \(len), NLEN \(nlen))")
                    }
                    block = .stored(remaining: len)
                case 1:
                    block = .fixed
                case 2:
                    try readDynamicHeader()
                    block = .dynamic
                default:
                    throw .damaged("a block of type 3, which DEFLATE does not define")
                }
            case .stored(let remaining):
                if remaining == 0 {
                    if endBlock() { return true }
                    continue
                }
                block = .stored(remaining: remaining - (try copyStored(remaining, stop: stop)))
            case .fixed:
                if try decodeHuffman(fixedLiteralTable.entries, fixedDistanceTable.entries, stop: stop), endBlock() { return true }
            case .dynamic:
                if try decodeHuffman(literalTable.entries, distanceTable.entries, stop: stop), endBlock() { return true }
            }
        }
        return false
    }

    /// A block ended; true when it was the last.
    private func endBlock() -> Bool {
        block = .header
        return finalBlock
    }

    /// Copies up to `remaining` bytes of a stored block, the output ending at most at `stop`;
    /// returns how many.
    private func copyStored(_ remaining: Int, stop: Int) throws(InflateFault) -> Int {
        var copied = 0
        while copied < remaining && outPos < stop {
            if bitCount >= 8 {
                // Bytes already in the bit buffer (at most 7) come first.
                output[outPos] = try readByte()
                outPos += 1
                copied += 1
                continue
            }
            guard padding == 0 else { throw .truncated }
            while inPos == inEnd {
                if inputEOF { throw .truncated }
                try pull()
            }
            bitBuffer = 0
            let n = min(remaining - copied, inEnd - inPos, stop - outPos)
            (output + outPos).update(from: input + inPos, count: n)
            inPos += n
            outPos += n
            copied += n
        }
        return copied
    }

    /// Reads a dynamic block's code lengths and builds its tables (RFC 1951 3.2.7).
    private func readDynamicHeader() throws(InflateFault) {
        let literals = try bits(5) + 257
        let distances = try bits(5) + 1
        let codeLengthCodes = try bits(4) + 4
        guard literals <= 286, distances <= 30 else {
            throw .damaged("a dynamic block with \(literals) literal/length and \(distances) distance codes (at most 286 and 30)")
        }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        lengths.update(repeating: 0, count: 19)
        for i in 0..<codeLengthCodes { lengths[order[i]] = UInt8(try bits(3)) }
        if let problem = HuffmanEntry.codeLength.withUnsafeBufferPointer({
            codeLengthTable.build(lengths: UnsafeBufferPointer(start: lengths, count: 19), symbolEntries: $0,
                                  completeness: .complete)
        }) {
            throw .damaged(problem + " for the code lengths")
        }

        let total = literals + distances
        var i = 0
        while i < total {
            if bitCount < 16 { try refill() }
            let e = codeLengthTable.entries[Int(truncatingIfNeeded: bitBuffer) & 127]
            guard e & HuffmanEntry.kindMask == HuffmanEntry.literal else { throw .damaged("an invalid code length code") }
            bitBuffer >>= UInt64(e & 31)
            bitCount -= Int(e & 31)
            let symbol = Int(e >> 16)
            if symbol < 16 {
                lengths[i] = UInt8(symbol)
                i += 1
                continue
            }
            let value: UInt8
            let repeats: Int
            switch symbol {
            case 16:
                guard i > 0 else { throw .damaged("a repeated code length with none before it") }
                value = lengths[i - 1]
                repeats = 3 + (try bits(2))
            case 17:
                value = 0
                repeats = 3 + (try bits(3))
            default:
                value = 0
                repeats = 11 + (try bits(7))
            }
            guard i + repeats <= total else { throw .damaged("code lengths that run past their count") }
            lengths.advanced(by: i).update(repeating: value, count: repeats)
            i += repeats
        }
        try checkNotPastEnd()
        guard lengths[256] != 0 else { throw .damaged("a dynamic block without an end-of-block code") }

        if let problem = HuffmanEntry.literalLength.withUnsafeBufferPointer({
            literalTable.build(lengths: UnsafeBufferPointer(start: lengths, count: literals), symbolEntries: $0,
                               completeness: .singleCodeMayBeShort)
        }) {
            throw .damaged(problem + " for literals and lengths")
        }
        if let problem = HuffmanEntry.distance.withUnsafeBufferPointer({
            distanceTable.build(lengths: UnsafeBufferPointer(start: lengths + literals, count: distances), symbolEntries: $0,
                                completeness: .singleCodeMayBeShort)
        }) {
            throw .damaged(problem + " for distances")
        }
    }

    /// Decodes Huffman-coded symbols until the block ends (true) or the output reaches `stop`
    /// (at most `outputLimit`; the last match may go up to 257 bytes past it).
    private func decodeHuffman(_ literalTable: UnsafeMutablePointer<UInt32>,
                               _ distanceTable: UnsafeMutablePointer<UInt32>, stop: Int) throws(InflateFault) -> Bool {
        // The state in locals, written back on every way out.
        var bb = bitBuffer
        var bc = bitCount
        var ip = inPos
        var ie = inEnd
        var op = outPos
        let inp = UnsafePointer(input)
        let out = output
        let limit = stop
        let history = historyStart
        defer {
            bitBuffer = bb
            bitCount = bc
            inPos = ip
            outPos = op
        }

        while op < limit {
            if ie &- ip >= 8 {
                bb |= UInt64(littleEndian: UnsafeRawPointer(inp + ip).loadUnaligned(as: UInt64.self)) &<< UInt64(bc)
                ip &+= (63 &- bc) &>> 3
                bc |= 56
            } else {
                bitBuffer = bb
                bitCount = bc
                inPos = ip
                try refill()
                bb = bitBuffer
                bc = bitCount
                ip = inPos
                ie = inEnd
            }

            var e = literalTable[Int(truncatingIfNeeded: bb) & 1023]
            if e & HuffmanEntry.kindMask == HuffmanEntry.link {
                bb &>>= 10
                bc &-= 10
                e = literalTable[Int(truncatingIfNeeded: e &>> 16) &+ (Int(truncatingIfNeeded: bb) & ((1 &<< Int(truncatingIfNeeded: (e &>> 8) & 31)) &- 1))]
            }
            bb &>>= UInt64(e & 31)
            bc &-= Int(truncatingIfNeeded: e & 31)
            let kind = e & HuffmanEntry.kindMask
            if kind == HuffmanEntry.literal {
                out[op] = UInt8(truncatingIfNeeded: e &>> 16)
                op &+= 1
                continue
            }
            if kind != HuffmanEntry.base {
                if kind == HuffmanEntry.endOfBlock {
                    if bc < padding &* 8 { throw .truncated }
                    return true
                }
                throw .damaged("an invalid literal/length code")
            }
            var extra = Int(truncatingIfNeeded: (e &>> 8) & 31)
            let length = Int(truncatingIfNeeded: e &>> 16) &+ (Int(truncatingIfNeeded: bb) & ((1 &<< extra) &- 1))
            bb &>>= UInt64(extra)
            bc &-= extra

            var d = distanceTable[Int(truncatingIfNeeded: bb) & 255]
            if d & HuffmanEntry.kindMask == HuffmanEntry.link {
                bb &>>= 8
                bc &-= 8
                d = distanceTable[Int(truncatingIfNeeded: d &>> 16) &+ (Int(truncatingIfNeeded: bb) & ((1 &<< Int(truncatingIfNeeded: (d &>> 8) & 31)) &- 1))]
            }
            bb &>>= UInt64(d & 31)
            bc &-= Int(truncatingIfNeeded: d & 31)
            guard d & HuffmanEntry.kindMask == HuffmanEntry.base else { throw .damaged("an invalid distance code") }
            extra = Int(truncatingIfNeeded: (d &>> 8) & 31)
            let distance = Int(truncatingIfNeeded: d &>> 16) &+ (Int(truncatingIfNeeded: bb) & ((1 &<< extra) &- 1))
            bb &>>= UInt64(extra)
            bc &-= extra
            guard distance <= op &- history else {
                throw .damaged("a match \(distance) bytes back, before the start of the data")
            }

            var dst = out + op
            var src = dst - distance
            op &+= length
            if distance >= 8 {
                // 8 bytes at a time, each read from bytes already written; may write up to 7
                // bytes past the match, into the slack, which later output overwrites.
                let end = out + op
                repeat {
                    UnsafeMutableRawPointer(dst).storeBytes(of: UnsafeRawPointer(src).loadUnaligned(as: UInt64.self), as: UInt64.self)
                    src += 8
                    dst += 8
                } while dst < end
            } else if distance == 1 {
                dst.update(repeating: src.pointee, count: length)
            } else {
                let end = out + op
                repeat {
                    dst.pointee = src.pointee
                    src += 1
                    dst += 1
                } while dst < end
            }
        }
        return false
    }
}
