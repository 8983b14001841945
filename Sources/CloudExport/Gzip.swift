// Compressed exports: gzip (RFC 1952) read as it is decompressed, under the readers of text
// (docs/FORMATS.md "Compressed exports"). DEFLATE itself is in Inflate.swift.
//
// - Detected by its first bytes (1f 8b 08), whatever the name; a `.gz` name with other bytes is
//   refused, so a file renamed by mistake is not read as text.
// - Every member of the file is read (`cat a.gz b.gz` makes a file of two), each one's CRC-32
//   and length (ISIZE) checked, and the header's CRC-16 when it has one (FHCRC). After the
//   last member, zero bytes are allowed (as gzip allows them); anything else is refused.
// - The decompressed text is counted: past `--max-input-size` the read stops, so a small file
//   that decompresses to terabytes (a decompression bomb) costs nothing but the time to find out.
//   Memory stays the 32 KiB window, the output not handed over yet, and one chunk of input.
// - The readers above never know: line numbers, columns and byte offsets in their messages are
//   those of the decompressed text, which are the uncompressed file's.
import SyncAudit

/// CRC-32 (ISO 3309, as gzip uses it), eight bytes at a time (slicing-by-8).
enum CRC32 {
    /// Table k maps a byte to its CRC contribution k bytes further on.
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let previous = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }()

    /// `crc` (0 to start) extended by `count` bytes at `bytes`.
    static func update(_ crc: UInt32, _ bytes: UnsafePointer<UInt8>, count: Int) -> UInt32 {
        tables.withUnsafeBufferPointer { table -> UInt32 in
            let t = table.baseAddress!
            var c = ~crc
            var p = bytes
            var n = count
            while n >= 8 {
                let word = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
                let low = UInt32(truncatingIfNeeded: word) ^ c
                let high = UInt32(truncatingIfNeeded: word &>> 32)
                var x = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                x ^= t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                x ^= t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                x ^= t[256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                c = x
                p += 8
                n &-= 8
            }
            while n > 0 {
                c = t[Int((c ^ UInt32(p.pointee)) & 0xFF)] ^ (c >> 8)
                p += 1
                n &-= 1
            }
            return ~c
        }
    }

    static func update(_ crc: UInt32, _ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { b in
            b.isEmpty ? crc : update(crc, b.baseAddress!, count: b.count)
        }
    }
}

/// Format detection and the messages of compressed input.
enum Gzip {
    /// ID1, ID2 and CM (deflate) of a gzip member.
    static let magic: [UInt8] = [0x1F, 0x8B, 0x08]

    /// What every gzip fault tells to do.
    static let fix = "Copy or download the file again, or take the export again and compress it with gzip"

    /// The file is named as a gzip file (`.gz`, any case).
    static func hasGzipName(_ name: String) -> Bool {
        name.lowercased().hasSuffix(".gz")
    }

    /// The stream to read text from: a `GzipStream` over `stream` when its first bytes are
    /// gzip's, else `stream` from its start. Reads at most 3 bytes to tell; a stream that cannot
    /// rewind gets them back in front of the rest. A `.gz` name on bytes that are not gzip is
    /// refused.
    static func decompressing(_ stream: any ByteStream, name: String, limit: Int,
                              buffers: ReadBuffers = ReadBuffers()) throws(IOFault) -> any ByteStream {
        var first: [UInt8] = []
        var chunk: (UInt8, UInt8, UInt8) = (0, 0, 0)
        while first.count < 3 {
            let n = try withUnsafeMutableBytes(of: &chunk) { raw throws(IOFault) -> Int in
                try stream.read(into: raw.baseAddress!, count: 3 - first.count)
            }
            if n == 0 { break }
            withUnsafeBytes(of: &chunk) { first += $0.prefix(n) }
        }
        if first == magic {
            return GzipStream(stream, prefix: first, limit: limit, buffers: buffers)
        }
        if first.count == 3, first[0] == 0x1F, first[1] == 0x8B {
            throw IOFault(kind: .compressed,
                          message: "it is gzip, but compressed with method \(first[2]); gzip has only deflate (8)",
                          fix: "Compress the export with gzip, or give it uncompressed")
        }
        let gzipName = hasGzipName(name)
        if first == [0x1F, 0x8B] || (gzipName && first == [0x1F]) {
            throw truncated(at: first.count)
        }
        if gzipName {
            throw IOFault(kind: .compressed,
                          message: first.isEmpty
                            ? "the file is named .gz but is empty, so it is not gzip data"
                            : "the file is named .gz but is not gzip data: it does not start with the gzip bytes 1f 8b 08",
                          fix: "Give the export uncompressed, or compress it with gzip (gzip FILE makes FILE.gz)")
        }
        if stream.rewind() { return stream }
        return PrefixedStream(first, stream)
    }

    static func truncated(at offset: Int) -> IOFault {
        IOFault(kind: .compressed, message: "the gzip data ends early, after \(offset) bytes: the file was cut off", fix: fix)
    }

    static func damaged(_ what: String, at offset: Int) -> IOFault {
        IOFault(kind: .compressed, message: "the gzip data is damaged near byte \(offset): \(what)", fix: fix)
    }

    static func overLimit(_ limit: Int) -> IOFault {
        IOFault(kind: .compressed,
                message: "it decompresses to more than --max-input-size \(ByteSize.format(limit)), the most a compressed export is read to",
                fix: "If the export is really that large, raise --max-input-size or give it uncompressed; else the file is not the export")
    }
}

/// The bytes taken to tell the format, then the rest of a stream that cannot go back.
final class PrefixedStream: ByteStream {
    private var prefix: [UInt8]
    let inner: any ByteStream

    init(_ prefix: [UInt8], _ inner: any ByteStream) {
        self.prefix = prefix
        self.inner = inner
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(IOFault) -> Int {
        guard prefix.isEmpty else {
            let n = min(count, prefix.count)
            prefix.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: n) }
            prefix.removeFirst(n)
            return n
        }
        return try inner.read(into: buffer, count: count)
    }

    func rewind() -> Bool {
        guard inner.rewind() else { return false }
        prefix = []
        return true
    }
}

/// The decompressed bytes of a gzip stream (one member or several, one after another).
///
/// A fault is kept: every later read throws it again, until a rewind. The end of the data (a
/// read of 0) comes only after the last member's CRC-32 and length were checked.
final class GzipStream: ByteStream {
    private let inflater: Inflater
    /// The most decompressed bytes handed over in all (`--max-input-size`).
    let limit: Int
    /// The most bytes decoded at a time.
    private let step: Int
    private enum State {
        case header
        case body
        case trailer
        case done
    }
    private var state = State.header
    /// Members read completely.
    private var members = 0
    /// CRC-32 and size of this member's output so far.
    private var crc: UInt32 = 0
    private var size = 0
    /// Decompressed bytes of every member so far.
    private(set) var total = 0
    /// The output not handed over yet: `inflater.output[handedOut..<inflater.outPos]`.
    private var handedOut = 0
    private var fault: IOFault?

    /// `prefix`: the first bytes, already taken from `source` (they are gzip's magic).
    init(_ source: any ByteStream, prefix: [UInt8], limit: Int, buffers: ReadBuffers = ReadBuffers()) {
        inflater = Inflater(source: source, prefix: prefix, inputCapacity: max(buffers.compressed, 1))
        step = max(buffers.inflated, 1)
        self.limit = limit
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(IOFault) -> Int {
        if let fault { throw fault }
        do {
            try decodeUntilOutput()
        } catch {
            let fault = describe(error)
            self.fault = fault
            throw fault
        }
        let n = min(count, inflater.outPos - handedOut)
        if n > 0 {
            buffer.copyMemory(from: inflater.output + handedOut, byteCount: n)
            handedOut += n
        }
        return n
    }

    func rewind() -> Bool {
        guard inflater.rewind() else { return false }
        state = .header
        members = 0
        crc = 0
        size = 0
        total = 0
        handedOut = 0
        fault = nil
        return true
    }

    /// Decodes what is left, handing it to no one: the rest of the data is checked (CRC-32,
    /// length, the size limit). Throws what a read would.
    func verifyRest() throws(IOFault) {
        if let fault { throw fault }
        do {
            while true {
                handedOut = inflater.outPos
                try decodeUntilOutput()
                if inflater.outPos == handedOut { return }
            }
        } catch {
            let fault = describe(error)
            self.fault = fault
            throw fault
        }
    }

    /// Decodes until there is output not handed over, or the data ends.
    private func decodeUntilOutput() throws(InflateFault) {
        while handedOut == inflater.outPos {
            switch state {
            case .done:
                return
            case .header:
                inflater.alignToByte()
                if members > 0 {
                    if try inflater.atEnd() {
                        state = .done
                        continue
                    }
                    guard try readMemberStart() else {
                        state = .done
                        continue
                    }
                } else {
                    // The magic `decompressing` found (read again after a rewind: still there?).
                    for b in Gzip.magic {
                        guard try inflater.readByte() == b else {
                            throw .damaged("the file no longer starts with the gzip bytes 1f 8b 08")
                        }
                    }
                }
                try readHeaderRest()
                inflater.startStream()
                crc = 0
                size = 0
                state = .body
            case .body:
                inflater.makeRoom()
                handedOut = inflater.outPos
                let start = inflater.outPos
                // No further than one byte past the limit: the limit is found where the data
                // crosses it, whatever the sizes.
                let ended = try inflater.inflate(atMost: limit - total < step ? limit - total + 1 : step)
                let produced = inflater.outPos - start
                if produced > 0 {
                    crc = CRC32.update(crc, inflater.output + start, count: produced)
                    size &+= produced
                    total += produced
                    if total > limit { throw .read(Gzip.overLimit(limit)) }
                }
                if ended { state = .trailer }
            case .trailer:
                inflater.alignToByte()
                let expectedCRC = try readUInt32()
                let expectedSize = try readUInt32()
                guard expectedCRC == crc else {
                    throw .read(IOFault(kind: .compressed,
                                        message: "CRC-32 mismatch: the file is damaged (gzip member \(members + 1) records \(hex(expectedCRC)), its data gives \(hex(crc)))",
                                        fix: Gzip.fix))
                }
                guard expectedSize == UInt32(truncatingIfNeeded: size) else {
                    throw .read(IOFault(kind: .compressed,
                                        message: "length mismatch: the file is damaged (gzip member \(members + 1) records \(expectedSize) bytes modulo 2^32, its data is \(size) bytes)",
                                        fix: Gzip.fix))
                }
                members += 1
                state = .header
            }
        }
    }

    /// The start of a member after the first: its magic (true), or zero bytes to the end (false).
    private func readMemberStart() throws(InflateFault) -> Bool {
        let offset = inflater.sourceOffset
        let first = try inflater.readByte()
        if first == 0 {
            while try !inflater.atEnd() {
                guard try inflater.readByte() == 0 else { throw .read(trailingGarbage(offset)) }
            }
            return false
        }
        guard first == 0x1F, try inflater.readByte() == 0x8B else { throw .read(trailingGarbage(offset)) }
        let method = try inflater.readByte()
        guard method == 8 else {
            throw .read(IOFault(kind: .compressed,
                                message: "gzip member \(members + 1) is compressed with method \(method); gzip has only deflate (8)",
                                fix: Gzip.fix))
        }
        return true
    }

    private func trailingGarbage(_ offset: Int) -> IOFault {
        IOFault(kind: .compressed,
                message: "after its gzip data (\(members) member\(members == 1 ? "" : "s"), ending at byte \(offset)) the file holds bytes that are not gzip",
                fix: "The file is damaged or was joined from parts wrongly: " + Gzip.fix)
    }

    /// FLG to the end of the header (RFC 1952 2.3), after ID1, ID2 and CM.
    private func readHeaderRest() throws(InflateFault) {
        var headerCRC = CRC32.update(0, Gzip.magic)
        func byte() throws(InflateFault) -> UInt8 {
            let b = try inflater.readByte()
            var copy = b
            headerCRC = CRC32.update(headerCRC, &copy, count: 1)
            return b
        }
        let flags = try byte()
        guard flags & 0xE0 == 0 else {
            throw .damaged("the gzip header sets reserved flag bits (FLG \(hex(UInt32(flags), width: 2)))")
        }
        for _ in 0..<6 { _ = try byte() }  // MTIME, XFL, OS
        if flags & 0x04 != 0 {  // FEXTRA
            let length = Int(try byte()) | Int(try byte()) << 8
            for _ in 0..<length { _ = try byte() }
        }
        if flags & 0x08 != 0 { while try byte() != 0 {} }  // FNAME
        if flags & 0x10 != 0 { while try byte() != 0 {} }  // FCOMMENT
        if flags & 0x02 != 0 {  // FHCRC
            let expected = UInt32(try inflater.readByte()) | UInt32(try inflater.readByte()) << 8
            guard expected == headerCRC & 0xFFFF else {
                throw .read(IOFault(kind: .compressed,
                                    message: "the gzip header's CRC-16 does not match: the file is damaged (it records \(hex(expected, width: 4)), the header gives \(hex(headerCRC & 0xFFFF, width: 4)))",
                                    fix: Gzip.fix))
            }
        }
    }

    private func readUInt32() throws(InflateFault) -> UInt32 {
        var value: UInt32 = 0
        for shift in stride(from: 0, to: 32, by: 8) { value |= UInt32(try inflater.readByte()) << UInt32(shift) }
        return value
    }

    private func hex(_ value: UInt32, width: Int = 8) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(width - digits.count, 0)) + digits
    }

    private func describe(_ error: InflateFault) -> IOFault {
        switch error {
        case .truncated: Gzip.truncated(at: inflater.sourceOffset)
        // Damage found among the zero bytes put after the end is the end coming early.
        case .damaged(let what): inflater.isPastEnd ? Gzip.truncated(at: inflater.sourceOffset)
                                                    : Gzip.damaged(what, at: inflater.sourceOffset)
        case .read(let fault): fault
        }
    }
}
