import Foundation
import SyncAudit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The text encodings the exports come in. Detected from the byte order mark; UTF-16
/// without a BOM is recognised from its zero bytes around ASCII.
enum TextEncoding: String, Sendable {
    case utf8 = "UTF-8"
    case utf8BOM = "UTF-8 with BOM"
    case utf16LE = "UTF-16LE"
    case utf16BE = "UTF-16BE"

    var bomLength: Int {
        switch self {
        case .utf8: 0
        case .utf8BOM: 3
        case .utf16LE, .utf16BE: 2
        }
    }

    var isUTF8: Bool { self == .utf8 || self == .utf8BOM }
}

/// The buffer sizes of the readers, one per layer, passed down from `CloudExportReader`.
/// Production reads with `ReadBuffers()`; tests shrink every size to a few bytes so that
/// each refill path runs on small fixtures. A size below a layer's minimum is raised to it.
struct ReadBuffers: Sendable {
    /// Raw bytes `DecodedInput` holds (encoding detection, UTF-16 decoding), and the chunk
    /// standard input is drained in. At least 4: a UTF-16 surrogate pair is decoded at once.
    var raw = 1 << 16
    /// Decoded text `DecodedInput.firstNonWhitespace` reads ahead by. At least 4.
    var decoded = 4096
    /// The text buffer of the JSON lexer. At least 4.
    var json = 1 << 20
    /// The text buffer of the CSV scanner. At least 4.
    var csv = 1 << 16
    /// The JSON lexer's first room for an unescaped string; it grows as needed. At least 1.
    var scratch = 4096
    /// Compressed bytes a gzip export is read in. At least 1.
    var compressed = 1 << 16
    /// The most decompressed bytes the gzip decoder produces before handing them over (its
    /// buffer holds its 32 KiB window and `Inflater.outputRoom` more). At least 1.
    var inflated = 1 << 17

    /// The least room a decoded read needs: one whole character (4 bytes of UTF-8, or the
    /// 4 bytes of a UTF-16 surrogate pair).
    static let minimum = 4
}

/// A source of raw bytes: a file descriptor read with read(2), or bytes held in memory
/// (standard input of a CSV, which is read twice).
protocol ByteStream: AnyObject {
    /// Up to `count` bytes into `buffer`; 0 at the end. Throws the errno text.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(IOFault) -> Int
    /// Back to the first byte; false when the stream cannot go back (a pipe).
    func rewind() -> Bool
}

struct IOFault: Error {
    /// What the reader reports it as: a file that cannot be read, or (gzip) a damaged one.
    var kind: CloudExportError.Kind = .unreadableFile
    var message: String
    /// What to do, when more than "check the file" can be said.
    var fix: String? = nil

    /// More than `limit` bytes would have to be held in memory.
    static func overLimit(_ limit: Int) -> IOFault {
        IOFault(message: "it holds more than --max-input-size \(ByteSize.format(limit)), and an input that cannot be read twice (standard input, a pipe) or that is read whole is held in memory. Give the export as a file, or raise --max-input-size")
    }
}

/// A stream that refuses to hand over more than `limit` bytes in all: for inputs that are
/// read whole into memory (the tenant file).
final class LimitedStream: ByteStream {
    let inner: any ByteStream
    let limit: Int
    private var total = 0

    init(_ inner: any ByteStream, limit: Int) {
        self.inner = inner
        self.limit = limit
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(IOFault) -> Int {
        let n = try inner.read(into: buffer, count: count)
        total += n
        guard total <= limit else { throw IOFault.overLimit(limit) }
        return n
    }

    func rewind() -> Bool {
        guard inner.rewind() else { return false }
        total = 0
        return true
    }
}

/// A file (or standard input) read with read(2). Closes what it opened.
final class FileStream: ByteStream {
    let fd: Int32
    private let owned: Bool
    /// A regular file, which can be read again from the start; pipes, FIFOs and terminals cannot.
    let isRegularFile: Bool

    /// Opens `path` for reading; `-` is standard input (not closed).
    init(path: String) throws(IOFault) {
        var info = stat()
        if path == "-" {
            fd = 0
            owned = false
            isRegularFile = fstat(0, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
            return
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { throw IOFault(message: String(cString: strerror(errno))) }
        if fstat(opened, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(opened)
            throw IOFault(message: "it is a directory")
        }
        fd = opened
        owned = true
        isRegularFile = (info.st_mode & S_IFMT) == S_IFREG
    }

    deinit {
        if owned { close(fd) }
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(IOFault) -> Int {
        while true {
            #if canImport(Glibc)
            let n = Glibc.read(fd, buffer, count)
            #else
            let n = Darwin.read(fd, buffer, count)
            #endif
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw IOFault(message: String(cString: strerror(errno)))
        }
    }

    func rewind() -> Bool {
        lseek(fd, 0, SEEK_SET) == 0
    }
}

/// Bytes in memory, for standard input that has to be read twice, and for tests.
final class MemoryStream: ByteStream {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Everything `stream` still holds, then the stream itself is done with.
    /// Reads it `chunk` bytes at a time.
    static func draining(_ stream: any ByteStream, prefix: [UInt8] = [],
                         chunk: Int = ReadBuffers().raw, limit: Int = .max) throws(IOFault) -> MemoryStream {
        var all = prefix
        let chunk = max(chunk, 1)
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { buffer.deallocate() }
        while true {
            let n = try stream.read(into: buffer, count: chunk)
            if n == 0 { break }
            guard all.count + n <= limit else { throw IOFault.overLimit(limit) }
            all.append(contentsOf: UnsafeBufferPointer(start: buffer, count: n))
        }
        return MemoryStream(all)
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(IOFault) -> Int {
        let n = min(count, bytes.count - offset)
        if n > 0 {
            bytes.withUnsafeBytes { raw in
                buffer.copyMemory(from: raw.baseAddress! + offset, byteCount: n)
            }
            offset += n
        }
        return n
    }

    func rewind() -> Bool {
        offset = 0
        return true
    }
}

/// What went wrong while decoding; the reader turns it into a `CloudExportError` with its position.
enum DecodeFault: Error {
    case io(IOFault)
    /// Invalid bytes where the decoded text stops.
    case invalid(String)
    /// The file ends inside a character.
    case truncated(String)
}

/// Text from a `ByteStream` as validated UTF-8, whatever the file's encoding: UTF-8 is
/// validated in place, UTF-16 is transcoded chunk by chunk. Nothing is held beyond one chunk.
///
/// When invalid bytes are met, the valid text before them is delivered first and the
/// next `read` throws, so the reader reports the fault at the right line.
final class DecodedInput {
    let stream: any ByteStream
    private(set) var encoding: TextEncoding = .utf8
    /// Raw bytes waiting to be decoded (UTF-16), or the first bytes read for detection.
    private var raw: UnsafeMutablePointer<UInt8>
    private let rawCapacity: Int
    /// How much decoded text `firstNonWhitespace` reads ahead at a time.
    private let lookAhead: Int
    private var rawStart = 0
    private var rawEnd = 0
    private var rawEOF = false
    /// UTF-8 bytes of an incomplete sequence carried to the next read.
    private var carry: [UInt8] = []
    private var fault: DecodeFault?
    /// Decoded text read ahead by `firstNonWhitespace`, handed out first by `read`.
    private var pending: [UInt8] = []

    init(stream: any ByteStream, buffers: ReadBuffers = ReadBuffers()) throws(DecodeFault) {
        self.stream = stream
        rawCapacity = max(buffers.raw, ReadBuffers.minimum)
        lookAhead = max(buffers.decoded, ReadBuffers.minimum)
        raw = .allocate(capacity: rawCapacity)
        try start()
    }

    deinit {
        raw.deallocate()
    }

    /// Reads the first bytes and settles the encoding.
    private func start() throws(DecodeFault) {
        rawStart = 0
        rawEnd = 0
        rawEOF = false
        carry = []
        fault = nil
        pending = []
        // At least 4 bytes (or the end) to look at.
        while rawEnd < 4 && !rawEOF { try fillRaw() }
        let b = UnsafeBufferPointer(start: raw, count: rawEnd)
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF {
            encoding = .utf8BOM
            rawStart = 3
        } else if b.count >= 4, b[0] == 0xFF, b[1] == 0xFE, b[2] == 0, b[3] == 0 {
            throw .invalid("the file is UTF-32, which phs-check does not read")
        } else if b.count >= 2, b[0] == 0xFF, b[1] == 0xFE {
            encoding = .utf16LE
            rawStart = 2
        } else if b.count >= 2, b[0] == 0xFE, b[1] == 0xFF {
            encoding = .utf16BE
            rawStart = 2
        } else if b.count >= 4, b[0] != 0, b[1] == 0, b[2] != 0, b[3] == 0 {
            encoding = .utf16LE
        } else if b.count >= 4, b[0] == 0, b[1] != 0, b[2] == 0, b[3] != 0 {
            encoding = .utf16BE
        } else {
            encoding = .utf8
        }
    }

    /// Back to the start of the text (after the BOM). False when the stream cannot rewind.
    func rewind() throws(DecodeFault) -> Bool {
        guard stream.rewind() else { return false }
        try start()
        return true
    }

    private func fillRaw() throws(DecodeFault) {
        if rawStart > 0 {
            let keep = rawEnd - rawStart
            if keep > 0 { raw.update(from: raw + rawStart, count: keep) }
            rawEnd = keep
            rawStart = 0
        }
        guard rawEnd < rawCapacity else { return }
        do {
            let n = try stream.read(into: raw + rawEnd, count: rawCapacity - rawEnd)
            if n == 0 { rawEOF = true } else { rawEnd += n }
        } catch {
            throw .io(error)
        }
    }

    /// The first decoded byte that is not ASCII whitespace, without consuming it; nil when the
    /// text is empty or all whitespace, or a fault comes first (faults wait for `read`).
    func firstNonWhitespace() -> UInt8? {
        let tmp = UnsafeMutablePointer<UInt8>.allocate(capacity: lookAhead)
        defer { tmp.deallocate() }
        while true {
            if let b = pending.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) { return b }
            guard fault == nil, let n = try? decode(into: tmp, capacity: lookAhead), n > 0 else { return nil }
            pending.append(contentsOf: UnsafeBufferPointer(start: tmp, count: n))
        }
    }

    /// Up to `capacity` (at least `ReadBuffers.minimum`) bytes of valid UTF-8 into `dst`; 0 at the end of the text.
    func read(into dst: UnsafeMutablePointer<UInt8>, capacity: Int) throws(DecodeFault) -> Int {
        if !pending.isEmpty {
            let n = min(capacity, pending.count)
            pending.withUnsafeBufferPointer { dst.update(from: $0.baseAddress!, count: n) }
            pending.removeFirst(n)
            return n
        }
        return try decode(into: dst, capacity: capacity)
    }

    private func decode(into dst: UnsafeMutablePointer<UInt8>, capacity: Int) throws(DecodeFault) -> Int {
        if let fault { throw fault }
        return encoding.isUTF8 ? try readUTF8(into: dst, capacity: capacity)
                               : try readUTF16(into: dst, capacity: capacity)
    }

    private func readUTF8(into dst: UnsafeMutablePointer<UInt8>, capacity: Int) throws(DecodeFault) -> Int {
        var n = 0
        // The carried incomplete sequence first, then bytes left from detection, then the stream.
        for b in carry { dst[n] = b; n += 1 }
        carry.removeAll(keepingCapacity: true)
        if rawStart < rawEnd {
            let m = min(rawEnd - rawStart, capacity - n)
            dst.advanced(by: n).update(from: raw + rawStart, count: m)
            rawStart += m
            n += m
        } else {
            if !rawEOF {
                do {
                    let got = try stream.read(into: dst + n, count: capacity - n)
                    if got == 0 { rawEOF = true }
                    n += got
                } catch {
                    throw .io(error)
                }
            }
        }
        if n == 0 { return 0 }
        let atEnd = rawEOF && rawStart >= rawEnd
        let (valid, problem) = Self.validateUTF8(UnsafeBufferPointer(start: dst, count: n), atEnd: atEnd)
        if let problem {
            fault = problem == Self.endsInsideCharacter ? .truncated(problem) : .invalid(problem)
            if valid == 0 { throw fault! }
            return valid
        }
        if valid < n {
            carry = Array(UnsafeBufferPointer(start: dst + valid, count: n - valid))
            if valid == 0 { return try readUTF8(into: dst, capacity: capacity) }
        }
        return valid
    }

    static let endsInsideCharacter = "the file ends inside a UTF-8 character"

    /// The length of the valid prefix, and a problem when invalid bytes stop it (rather
    /// than an incomplete sequence at the end of the chunk, which is not a problem unless `atEnd`).
    static func validateUTF8(_ b: UnsafeBufferPointer<UInt8>, atEnd: Bool) -> (Int, String?) {
        var i = 0
        let n = b.count
        let base = b.baseAddress!
        while i < n {
            // ASCII fast path, 8 bytes at a time.
            while i + 8 <= n {
                let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { break }
                i += 8
            }
            if i >= n { break }
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            let need: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; upper = 0x9F
            case 0xF0: need = 3; lower = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; upper = 0x8F
            default: return (i, String(format: "byte 0x%02X is not valid UTF-8", c))
            }
            for k in 1...need {
                if i + k >= n {
                    return atEnd ? (i, endsInsideCharacter) : (i, nil)
                }
                let cc = b[i + k]
                let lo = k == 1 ? lower : 0x80
                let hi = k == 1 ? upper : 0xBF
                if cc < lo || cc > hi {
                    return (i, String(format: "byte 0x%02X is not valid UTF-8", c))
                }
            }
            i += need + 1
        }
        return (n, nil)
    }

    private func readUTF16(into dst: UnsafeMutablePointer<UInt8>, capacity: Int) throws(DecodeFault) -> Int {
        let little = encoding == .utf16LE
        var out = 0
        while true {
            var i = rawStart
            while i + 1 < rawEnd, out + 4 <= capacity {
                let u = little ? UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 : UInt32(raw[i]) << 8 | UInt32(raw[i + 1])
                var scalar = u
                var width = 2
                if Surrogate.isHigh(u) {
                    guard i + 3 < rawEnd else { break }
                    let l = little ? UInt32(raw[i + 2]) | UInt32(raw[i + 3]) << 8 : UInt32(raw[i + 2]) << 8 | UInt32(raw[i + 3])
                    guard Surrogate.isLow(l) else {
                        rawStart = i
                        return try stop(out, "a UTF-16 high surrogate is not followed by a low surrogate")
                    }
                    scalar = Surrogate.scalar(high: u, low: l)
                    width = 4
                } else if Surrogate.isLow(u) {
                    rawStart = i
                    return try stop(out, "a UTF-16 low surrogate stands alone")
                }
                out += writeUTF8(scalar, to: dst + out)
                i += width
            }
            rawStart = i
            if out > 0 { return out }
            if rawEOF {
                if rawStart < rawEnd {
                    return try stop(out, rawEnd - rawStart == 1
                        ? "the file ends in the middle of a UTF-16 character (an odd number of bytes)"
                        : "the file ends inside a UTF-16 surrogate pair", truncated: true)
                }
                return 0
            }
            try fillRaw()
        }
    }

    private func stop(_ out: Int, _ problem: String, truncated: Bool = false) throws(DecodeFault) -> Int {
        fault = truncated ? .truncated(problem) : .invalid(problem)
        if out == 0 { throw fault! }
        return out
    }
}

/// Standard input, recorded while the format is not known yet: a CSV is read twice, so
/// what was read is replayed from memory together with the rest of the stream.
final class RecordingStream: ByteStream {
    let inner: any ByteStream
    /// The most it may record (`--max-input-size`).
    let limit: Int
    private(set) var recorded: [UInt8]? = []

    init(_ inner: any ByteStream, limit: Int = InputLimits.defaultMaxInputSize) {
        self.inner = inner
        self.limit = limit
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(IOFault) -> Int {
        let n = try inner.read(into: buffer, count: count)
        if n > 0, recorded != nil {
            guard recorded!.count + n <= limit else { throw IOFault.overLimit(limit) }
            recorded!.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: n))
        }
        return n
    }

    func stopRecording() {
        recorded = nil
    }

    func rewind() -> Bool {
        inner.rewind()
    }

    /// Everything read so far and everything still to come, in memory.
    func replayable(chunk: Int = ReadBuffers().raw) throws(IOFault) -> MemoryStream {
        let stream = try MemoryStream.draining(inner, prefix: recorded ?? [], chunk: chunk, limit: limit)
        recorded = nil
        return stream
    }
}

/// UTF-16 surrogate pairs, as UTF-16 files and JSON's `\u` escapes write them.
enum Surrogate {
    static func isHigh(_ u: UInt32) -> Bool { u >= 0xD800 && u <= 0xDBFF }
    static func isLow(_ u: UInt32) -> Bool { u >= 0xDC00 && u <= 0xDFFF }

    /// The scalar value a high and a low surrogate stand for.
    static func scalar(high: UInt32, low: UInt32) -> UInt32 {
        0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
    }
}

/// Writes the scalar value `v` as UTF-8 at `dst`, which has room for 4 bytes; returns how many it wrote.
func writeUTF8(_ v: UInt32, to dst: UnsafeMutablePointer<UInt8>) -> Int {
    if v < 0x80 {
        dst[0] = UInt8(v)
        return 1
    }
    if v < 0x800 {
        dst[0] = UInt8(0xC0 | v >> 6)
        dst[1] = UInt8(0x80 | v & 0x3F)
        return 2
    }
    if v < 0x10000 {
        dst[0] = UInt8(0xE0 | v >> 12)
        dst[1] = UInt8(0x80 | (v >> 6) & 0x3F)
        dst[2] = UInt8(0x80 | v & 0x3F)
        return 3
    }
    dst[0] = UInt8(0xF0 | v >> 18)
    dst[1] = UInt8(0x80 | (v >> 12) & 0x3F)
    dst[2] = UInt8(0x80 | (v >> 6) & 0x3F)
    dst[3] = UInt8(0x80 | v & 0x3F)
    return 4
}
