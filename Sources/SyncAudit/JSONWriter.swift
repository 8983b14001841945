/// A minimal, fast JSON object writer for the line-per-record outputs (snapshots, reports):
/// keys are written in the order given, strings escaped per RFC 8259. Foundation's
/// JSONEncoder costs several times more per line, which a million-user snapshot feels.
public struct JSONObjectWriter {
    public private(set) var text = "{"
    private var first = true

    public init() {}

    private mutating func key(_ name: String) {
        if !first { text += "," }
        first = false
        Self.appendString(name, to: &text)
        text += ":"
    }

    public mutating func add(_ name: String, _ value: String?) {
        key(name)
        if let value { Self.appendString(value, to: &text) } else { text += "null" }
    }

    public mutating func add(_ name: String, _ value: Bool?) {
        key(name)
        text += value.map { $0 ? "true" : "false" } ?? "null"
    }

    public mutating func add<I: BinaryInteger>(_ name: String, _ value: I?) {
        key(name)
        text += value.map { String($0) } ?? "null"
    }

    public mutating func add(_ name: String, _ values: [String]) {
        key(name)
        text += "["
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            Self.appendString(value, to: &text)
        }
        text += "]"
    }

    /// A value that is already JSON (a nested object or array).
    public mutating func add(_ name: String, json: String) {
        key(name)
        text += json
    }

    /// The finished object.
    public mutating func finish() -> String {
        text += "}"
        return text
    }

    /// Appends `value` as a JSON string literal. Runs of bytes that need no escape are copied
    /// whole; only `"`, `\\` and control characters are escaped (UTF-8 passes through).
    public static func appendString(_ value: String, to out: inout String) {
        // Most values need no escape: appended whole, without walking them character by character.
        let plain = value.utf8.withContiguousStorageIfAvailable { bytes in
            !bytes.contains { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }
        }
        if plain == true {
            out += "\""
            out += value
            out += "\""
            return
        }
        out += "\""
        let bytes = value.utf8
        var runStart = bytes.startIndex
        var index = runStart
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 {
                out += value[runStart..<index]
                switch byte {
                case UInt8(ascii: "\""): out += "\\\""
                case UInt8(ascii: "\\"): out += "\\\\"
                case UInt8(ascii: "\n"): out += "\\n"
                case UInt8(ascii: "\r"): out += "\\r"
                case UInt8(ascii: "\t"): out += "\\t"
                default: out += (byte < 0x10 ? "\\u000" : "\\u00") + String(byte, radix: 16)
                }
                runStart = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        out += value[runStart..<bytes.endIndex]
        out += "\""
    }
}
