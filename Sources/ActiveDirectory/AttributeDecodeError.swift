/// An attribute value that could not be decoded, with the attribute's name and why.
///
/// `description` reads as a note: `objectSid: 7 bytes, expected at least 8`. The mapping to
/// `DirectoryUser` appends what it did about it (`— ignored`).
public struct AttributeDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The LDAP attribute name as AD spells it (`objectSid`, `pwdLastSet`, ...).
    public var attribute: String
    /// What was wrong, in a few words, quoting the value when it is short and not secret.
    public var reason: String

    public init(attribute: String, reason: String) {
        self.attribute = attribute
        self.reason = reason
    }

    public var description: String { "\(attribute): \(reason)" }
}

extension AttributeDecodeError {
    /// A value quoted for a message: at most 40 characters, control characters escaped.
    static func quote(_ text: some StringProtocol) -> String {
        var s = ""
        for scalar in text.unicodeScalars.prefix(40) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                s += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                s.unicodeScalars.append(scalar)
            }
        }
        if text.unicodeScalars.count > 40 { s += "…" }
        return "\"" + s + "\""
    }

    static func byteCount(_ n: Int) -> String { n == 1 ? "1 byte" : "\(n) bytes" }
}
