import SyncAudit

/// A JSON object laid out for people who diff and grep it: `{`, one member per line indented by
/// two spaces, `}` and a final newline. The values are compact JSON (`JSONObjectWriter`), so a
/// finding or a run stays on one line. `--format json` and `phs-check history --format json`
/// share it, so the two look alike.
public struct MultilineJSONObject {
    private var members: [String] = []

    public init() {}

    /// A member whose value is a JSON string.
    public mutating func add(_ name: String, _ value: String) {
        var json = ""
        JSONObjectWriter.appendString(value, to: &json)
        add(name, json: json)
    }

    /// A member whose value is a JSON string, or `null`.
    public mutating func add(_ name: String, optional value: String?) {
        if let value { add(name, value) } else { add(name, json: "null") }
    }

    /// A member whose value is already JSON (an object, an array, `null`).
    public mutating func add(_ name: String, json: String) {
        var member = ""
        JSONObjectWriter.appendString(name, to: &member)
        members.append(member + ":" + json)
    }

    /// The finished object.
    public func finish() -> String {
        "{\n  " + members.joined(separator: ",\n  ") + "\n}\n"
    }

    /// Writes the object with a last member `name`, an array of `elements` (each already JSON)
    /// laid out as `array` lays it out, each element written as it is made.
    public func write(to out: inout some TextOutputStream, endingWith name: String, _ elements: some Sequence<String>, indent: Int) {
        var key = ""
        JSONObjectWriter.appendString(name, to: &key)
        out.write("{\n  " + (members + [key + ":"]).joined(separator: ",\n  "))
        let inside = "\n" + String(repeating: " ", count: indent)
        var first = true
        for element in elements {
            out.write((first ? "[" : ",") + inside)
            out.write(element)
            first = false
        }
        out.write(first ? "[]" : "\n" + String(repeating: " ", count: indent - 2) + "]")
        out.write("\n}\n")
    }

    /// A JSON array of `elements` (each already JSON), one element per line, for a member of an
    /// object whose members are indented by `indent - 2` spaces: `[]` when there is none.
    public static func array(_ elements: [String], indent: Int) -> String {
        guard !elements.isEmpty else { return "[]" }
        let inside = "\n" + String(repeating: " ", count: indent)
        return "[" + inside + elements.joined(separator: "," + inside) + "\n" + String(repeating: " ", count: indent - 2) + "]"
    }
}
