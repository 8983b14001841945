import Foundation

/// A Windows security identifier ([MS-DTYP] 2.4.2), the decoded form of `objectSid`.
///
/// Binary layout: revision (1 byte, always 1), sub-authority count (1 byte, at most 15),
/// identifier authority (6 bytes, big-endian), then `count` sub-authorities as uint32
/// little-endian. The text form is `S-1-5-21-3623811015-3361044348-30300820-1013`.
public struct SecurityIdentifier: Sendable, Hashable, CustomStringConvertible {
    public static let maxSubAuthorities = 15

    public let revision: UInt8
    /// The 48-bit identifier authority (5 = NT Authority).
    public let identifierAuthority: UInt64
    public let subAuthorities: [UInt32]

    /// Decodes the binary form; the length must be exactly `8 + 4 × count`.
    public init(bytes value: some Collection<UInt8>) throws(AttributeDecodeError) {
        let b = Array(value)
        func fail(_ reason: String) -> AttributeDecodeError {
            AttributeDecodeError(attribute: "objectSid", reason: reason)
        }
        guard b.count >= 8 else {
            throw fail("\(AttributeDecodeError.byteCount(b.count)), expected at least 8")
        }
        guard b[0] == 1 else { throw fail("revision \(b[0]), expected 1") }
        let count = Int(b[1])
        guard count <= Self.maxSubAuthorities else {
            throw fail("\(count) sub-authorities, at most \(Self.maxSubAuthorities) are allowed")
        }
        guard b.count == 8 + 4 * count else {
            throw fail("\(b.count) bytes, expected \(8 + 4 * count) for \(count) sub-\(count == 1 ? "authority" : "authorities")")
        }
        revision = 1
        identifierAuthority = b[2..<8].reduce(0) { $0 << 8 | UInt64($1) }
        subAuthorities = (0..<count).map { b.littleEndianUInt32(at: 8 + 4 * $0) }
    }

    /// Parses `S-1-<authority>-<sub>-...`; the authority is decimal, or `0x` and 12 hex digits
    /// when it does not fit in 32 bits (as [MS-DTYP] 2.4.2.1 writes it).
    public init(string: String) throws(AttributeDecodeError) {
        func fail() -> AttributeDecodeError {
            AttributeDecodeError(attribute: "objectSid", reason: "\(AttributeDecodeError.quote(string)) is not a SID (expected S-1-5-21-...)")
        }
        let parts = string.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == "S" || parts[0] == "s", parts[1] == "1" else { throw fail() }
        let authorityText = parts[2]
        let authority: UInt64?
        if authorityText.hasPrefix("0x") || authorityText.hasPrefix("0X") {
            let digits = authorityText.dropFirst(2)
            authority = digits.allSatisfy(\.isHexDigit) ? UInt64(digits, radix: 16) : nil
        } else {
            authority = authorityText.allSatisfy({ $0.isASCII && $0.isNumber }) ? UInt64(authorityText) : nil
        }
        guard let authority, authority < 1 << 48 else { throw fail() }
        var subs: [UInt32] = []
        for part in parts.dropFirst(3) {
            guard part.allSatisfy({ $0.isASCII && $0.isNumber }), let sub = UInt32(part) else { throw fail() }
            subs.append(sub)
        }
        guard subs.count <= Self.maxSubAuthorities else {
            throw AttributeDecodeError(attribute: "objectSid", reason: "\(subs.count) sub-authorities, at most \(Self.maxSubAuthorities) are allowed")
        }
        revision = 1
        identifierAuthority = authority
        subAuthorities = subs
    }

    /// The binary form, as AD stores `objectSid`.
    public var bytes: [UInt8] {
        var b: [UInt8] = [revision, UInt8(subAuthorities.count)]
        for shift in stride(from: 40, through: 0, by: -8) { b.append(UInt8(truncatingIfNeeded: identifierAuthority >> UInt64(shift))) }
        for sub in subAuthorities {
            b += [UInt8(truncatingIfNeeded: sub), UInt8(truncatingIfNeeded: sub >> 8),
                  UInt8(truncatingIfNeeded: sub >> 16), UInt8(truncatingIfNeeded: sub >> 24)]
        }
        return b
    }

    public var description: String {
        let authority: String
        if identifierAuthority < 1 << 32 {
            authority = String(identifierAuthority)
        } else {
            let hex = String(identifierAuthority, radix: 16, uppercase: true)
            authority = "0x" + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
        }
        return (["S", String(revision), authority] + subAuthorities.map { String($0) }).joined(separator: "-")
    }
}
