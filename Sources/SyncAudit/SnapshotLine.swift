import Foundation

/// Reads one snapshot user line (a flat JSON object) in place, without `JSONDecoder`: a
/// million lines are most of `compare`'s work. Strict JSON — a line that is not valid JSON, a
/// field of the wrong type or a missing field is an error naming it. Fields the contract does
/// not name are checked and skipped, as a newer snapshot may carry more.
struct SnapshotLineParser {
    /// Why a line was not read; `Snapshot.decodeUser` adds the line number.
    struct Failure: Error {
        var reason: String
        /// The line is not a user line at all (bad JSON, a field missing or of the wrong type),
        /// rather than a user line with a bad value.
        var notAUserLine = true
    }

    /// The value of one field, read in place: text is made only of the fields that need it.
    enum Value {
        /// A string's bytes between its quotes, escapes still in place (`text(_:)` reads them).
        case string(UnsafeBufferPointer<UInt8>)
        case number(UnsafeBufferPointer<UInt8>)
        case bool(Bool)
        case null
        /// An array of strings, its bytes from `[` to `]` (`strings(_:)` reads them).
        case strings(UnsafeBufferPointer<UInt8>)
        /// An object, or an array holding more than strings: valid, but no contract field is one.
        case other
    }

    private let u: UnsafeBufferPointer<UInt8>
    private var i = 0

    private init(_ u: UnsafeBufferPointer<UInt8>) { self.u = u }

    /// Hands each field of the object in `bytes` to `body` as its key bytes and value.
    static func fields(of bytes: UnsafeBufferPointer<UInt8>,
                       _ body: (UnsafeBufferPointer<UInt8>, Value) throws(Failure) -> Void) throws(Failure) {
        var p = SnapshotLineParser(bytes)
        try p.expect(0x7B)
        if try p.peek() == 0x7D {
            p.i += 1
        } else {
            while true {
                let key = try p.rawString()
                try p.expect(0x3A)
                try body(key, try p.value())
                let c = try p.next()
                if c == 0x7D { break }
                guard c == 0x2C else { throw p.invalid }
            }
        }
        p.skipWhitespace()
        guard p.i == p.u.count else { throw p.invalid }
    }

    private var invalid: Failure { Failure(reason: "not valid JSON") }

    private mutating func skipWhitespace() {
        while i < u.count, u[i] == 0x20 || u[i] == 0x09 || u[i] == 0x0A || u[i] == 0x0D { i += 1 }
    }

    private mutating func peek() throws(Failure) -> UInt8 {
        skipWhitespace()
        guard i < u.count else { throw invalid }
        return u[i]
    }

    private mutating func next() throws(Failure) -> UInt8 {
        let c = try peek()
        i += 1
        return c
    }

    private mutating func expect(_ c: UInt8) throws(Failure) {
        guard try next() == c else { throw invalid }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let n = word.utf8CodeUnitCount
        guard i + n <= u.count, memcmp(u.baseAddress! + i, word.utf8Start, n) == 0 else { throw invalid }
        i += n
    }

    /// A string's bytes between its quotes, escapes left in place; checked to be valid JSON.
    private mutating func rawString() throws(Failure) -> UnsafeBufferPointer<UInt8> {
        try expect(0x22)
        let start = i
        while i < u.count {
            let c = u[i]
            if c == 0x22 {
                i += 1
                return UnsafeBufferPointer(rebasing: u[start..<(i - 1)])
            }
            if c < 0x20 { throw invalid }
            i += c == 0x5C ? 2 : 1
        }
        throw invalid
    }

    private mutating func value() throws(Failure) -> Value {
        switch try peek() {
        case 0x22:
            return .string(try rawString())
        case 0x74:
            try literal("true")
            return .bool(true)
        case 0x66:
            try literal("false")
            return .bool(false)
        case 0x6E:
            try literal("null")
            return .null
        case 0x5B:
            let start = i
            i += 1
            var onlyStrings = true
            if try peek() != 0x5D {
                while true {
                    if case .string = try value() {} else { onlyStrings = false }
                    let c = try next()
                    if c == 0x5D { break }
                    guard c == 0x2C else { throw invalid }
                }
            } else {
                i += 1
            }
            return onlyStrings ? .strings(UnsafeBufferPointer(rebasing: u[start..<i])) : .other
        case 0x7B:
            i += 1
            if try peek() == 0x7D { i += 1; return .other }
            while true {
                _ = try rawString()
                try expect(0x3A)
                _ = try value()
                let c = try next()
                if c == 0x7D { break }
                guard c == 0x2C else { throw invalid }
            }
            return .other
        default:
            return .number(try number())
        }
    }

    /// A JSON number's bytes (`-? int frac? exp?`).
    private mutating func number() throws(Failure) -> UnsafeBufferPointer<UInt8> {
        let start = i
        func digits() -> Int {
            let from = i
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 { i += 1 }
            return i - from
        }
        if i < u.count, u[i] == 0x2D { i += 1 }
        let intStart = i
        let intDigits = digits()
        guard intDigits > 0, !(intDigits > 1 && u[intStart] == 0x30) else { throw invalid }
        if i < u.count, u[i] == 0x2E {
            i += 1
            guard digits() > 0 else { throw invalid }
        }
        if i < u.count, u[i] == 0x65 || u[i] == 0x45 {
            i += 1
            if i < u.count, u[i] == 0x2B || u[i] == 0x2D { i += 1 }
            guard digits() > 0 else { throw invalid }
        }
        return UnsafeBufferPointer(rebasing: u[start..<i])
    }

    /// No byte has its high bit set; eight bytes at a time.
    private static func isASCII(_ raw: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = raw.baseAddress else { return true }
        var i = 0
        while i + 8 <= raw.count {
            if UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < raw.count {
            if raw[i] & 0x80 != 0 { return false }
            i += 1
        }
        return true
    }

    /// The texts of an array `.strings` handed over.
    static func strings(_ array: UnsafeBufferPointer<UInt8>) throws(Failure) -> [String] {
        var p = SnapshotLineParser(array)
        var texts: [String] = []
        try p.expect(0x5B)
        if try p.peek() == 0x5D { return [] }
        while true {
            texts.append(try text(try p.rawString()))
            if try p.next() == 0x5D { return texts }
        }
    }

    /// A string's text: its bytes as they are when they hold no escape, else unescaped.
    /// Invalid UTF-8 and lone surrogates are refused, not repaired.
    static func text(_ raw: UnsafeBufferPointer<UInt8>) throws(Failure) -> String {
        let invalid = Failure(reason: "not valid JSON")
        guard raw.contains(0x5C) else {
            // ASCII (nearly every DN, name and SID) is valid UTF-8 as it is.
            if isASCII(raw) { return String(decoding: raw, as: UTF8.self) }
            guard let text = String(validating: raw, as: UTF8.self) else { throw Failure(reason: "not valid UTF-8") }
            return text
        }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        func hex4() throws(Failure) -> UInt32 {
            guard i + 4 < raw.count else { throw invalid }
            var v: UInt32 = 0
            for k in 1...4 {
                let c = raw[i + k]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw invalid
                }
                v = v << 4 | d
            }
            i += 5
            return v
        }
        while i < raw.count {
            let c = raw[i]
            guard c == 0x5C else { out.append(c); i += 1; continue }
            guard i + 1 < raw.count else { throw invalid }
            switch raw[i + 1] {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x2F: out.append(0x2F)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                i += 1
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 1 < raw.count, raw[i] == 0x5C, raw[i + 1] == 0x75 else { throw Failure(reason: "a lone surrogate in a string") }
                    i += 1
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw Failure(reason: "a lone surrogate in a string") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw Failure(reason: "a lone surrogate in a string")
                }
                guard let s = Unicode.Scalar(scalar) else { throw invalid }
                out.append(contentsOf: String(Character(s)).utf8)
                continue
            default: throw invalid
            }
            i += 2
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw Failure(reason: "not valid UTF-8") }
        return text
    }
}
