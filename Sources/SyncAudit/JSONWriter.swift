/// A minimal, fast JSON object writer for the line-per-record outputs (snapshots, reports):
/// keys are written in the order given, strings escaped per RFC 8259. Foundation's
/// JSONEncoder costs several times more per line, which a million-user snapshot feels.
public struct JSONObjectWriter {
    /// The object so far, as UTF-8 (appending bytes costs less than appending to a String).
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var first = true

    public init() {}

    private mutating func key(_ name: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        Self.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func add(_ name: String, _ value: String?) {
        key(name)
        if let value { Self.appendString(value, to: &bytes) } else { raw("null") }
    }

    public mutating func add(_ name: String, _ value: Bool?) {
        key(name)
        raw(value.map { $0 ? "true" : "false" } ?? "null")
    }

    public mutating func add<I: BinaryInteger>(_ name: String, _ value: I?) {
        key(name)
        raw(value.map { String($0) } ?? "null")
    }

    public mutating func add(_ name: String, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.appendString(value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A value that is already JSON (a nested object or array).
    public mutating func add(_ name: String, json: String) {
        key(name)
        raw(json)
    }

    /// The finished object.
    public mutating func finish() -> String {
        String(decoding: finishBytes(), as: UTF8.self)
    }

    /// The finished object as UTF-8.
    public mutating func finishBytes() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// A byte a JSON string literal must escape: `"`, `\\` or a control character.
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20
    }

    /// `value` needs no escape at all: it is appended whole, not walked character by character.
    private static func isPlain(_ value: String) -> Bool {
        value.utf8.withContiguousStorageIfAvailable { !$0.contains(where: needsEscape) } == true
    }

    /// `appendString(_:to:)` for UTF-8 output.
    static func appendString(_ value: String, to out: inout [UInt8]) {
        if isPlain(value) {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: value.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        var text = ""
        appendString(value, to: &text)
        out.append(contentsOf: text.utf8)
    }

    /// Appends `value` as a JSON string literal. Runs of bytes that need no escape are copied
    /// whole; only `"`, `\\` and control characters are escaped (UTF-8 passes through).
    public static func appendString(_ value: String, to out: inout String) {
        if isPlain(value) {
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
            if needsEscape(byte) {
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
