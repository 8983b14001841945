public import SyncAudit

/// The canary's new password: random, made in memory and never shown (`SecretBytes`).
///
/// It meets any password policy AD can set: at least `minimumLength` characters (32 when the
/// domain asks for fewer), drawn from the four kinds AD's complexity rule counts (upper case,
/// lower case, digits, symbols; each present), and never containing the account's name or a
/// part of its display name (the complexity rule refuses three or more characters of them,
/// ignoring case). Printable ASCII only, no quote or backslash: the same bytes as UTF-8 and,
/// widened, as UTF-16.
public enum CanaryPassword {
    public static let defaultLength = 32
    static let upper = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
    static let lower = Array("abcdefghijklmnopqrstuvwxyz".utf8)
    static let digits = Array("0123456789".utf8)
    static let symbols = Array("!#$%&()*+,-./:;<=>?@[]^_{|}~".utf8)
    static let alphabet = upper + lower + digits + symbols

    /// A new password, as ASCII bytes.
    public static func generate(minimumLength: Int = 0, avoiding names: [String],
                                using rng: inout some RandomNumberGenerator) -> SecretBytes {
        let length = max(defaultLength, minimumLength)
        // Parts of three or more characters that the password must not hold (lower case).
        let forbidden = names.flatMap { name in
            name.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { Array($0.utf8) } + [Array(name.lowercased().utf8)]
        }.filter { $0.count >= 3 }
        while true {
            let candidate = SecretBytes(count: length) { out in
                for i in 0..<length { out[i] = alphabet[Int(rng.next(upperBound: UInt(alphabet.count)))] }
            }
            let acceptable = candidate.withUnsafeBytes { bytes in
                [upper, lower, digits, symbols].allSatisfy { kind in bytes.contains(where: kind.contains) }
                    && !forbidden.contains { Self.contains(bytes, lowercased: $0) }
            }
            if acceptable { return candidate }
        }
    }

    /// The password as AD takes it in `unicodePwd`: in double quotes, UTF-16LE
    /// ([MS-ADTS] 3.1.1.3.1.5.1, "unicodePwd").
    public static func unicodePwd(_ password: SecretBytes) -> SecretBytes {
        password.withUnsafeBytes { ascii in
            SecretBytes(count: (ascii.count + 2) * 2) { out in
                out[0] = UInt8(ascii: "\"")
                for (i, byte) in ascii.enumerated() { out[2 + 2 * i] = byte }
                out[out.count - 2] = UInt8(ascii: "\"")
            }
        }
    }

    /// Whether `bytes` holds `part` (lower-case ASCII) ignoring the case of letters.
    static func contains(_ bytes: UnsafeRawBufferPointer, lowercased part: [UInt8]) -> Bool {
        guard part.count <= bytes.count else { return false }
        for start in 0...(bytes.count - part.count) {
            var matched = true
            for (offset, expected) in part.enumerated() {
                var byte = bytes[start + offset]
                if (0x41...0x5A).contains(byte) { byte |= 0x20 }
                if byte != expected { matched = false; break }
            }
            if matched { return true }
        }
        return false
    }
}
