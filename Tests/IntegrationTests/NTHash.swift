import Foundation

/// The NT hash AD keeps of a password (`unicodePwd`): MD4 (RFC 1320) of the password in
/// UTF-16LE. The probe's tests use it to look for the canary's password in everything the probe
/// left behind without knowing it: the DC gives its hash, and any stretch of text that hashes
/// to it would be the password.
enum NTHash {
    static func of(_ password: some Collection<UInt8>) -> [UInt8] {
        var utf16: [UInt8] = []
        for byte in password { utf16 += [byte, 0] }
        return md4(utf16)
    }

    static func md4(_ message: [UInt8]) -> [UInt8] {
        var bytes = message + [0x80]
        while bytes.count % 64 != 56 { bytes.append(0) }
        let bits = UInt64(message.count) * 8
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
        var a: UInt32 = 0x6745_2301, b: UInt32 = 0xEFCD_AB89, c: UInt32 = 0x98BA_DCFE, d: UInt32 = 0x1032_5476
        func rotl(_ x: UInt32, _ s: UInt32) -> UInt32 { (x << s) | (x >> (32 - s)) }
        for block in stride(from: 0, to: bytes.count, by: 64) {
            let x = (0..<16).map { i in
                (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[block + 4 * i + $1]) << (8 * UInt32($1)) }
            }
            let (aa, bb, cc, dd) = (a, b, c, d)
            let f = { (x: UInt32, y: UInt32, z: UInt32) in (x & y) | (~x & z) }
            let g = { (x: UInt32, y: UInt32, z: UInt32) in (x & y) | (x & z) | (y & z) }
            let h = { (x: UInt32, y: UInt32, z: UInt32) in x ^ y ^ z }
            for i in [0, 4, 8, 12] {
                a = rotl(a &+ f(b, c, d) &+ x[i], 3)
                d = rotl(d &+ f(a, b, c) &+ x[i + 1], 7)
                c = rotl(c &+ f(d, a, b) &+ x[i + 2], 11)
                b = rotl(b &+ f(c, d, a) &+ x[i + 3], 19)
            }
            for i in [0, 1, 2, 3] {
                a = rotl(a &+ g(b, c, d) &+ x[i] &+ 0x5A82_7999, 3)
                d = rotl(d &+ g(a, b, c) &+ x[i + 4] &+ 0x5A82_7999, 5)
                c = rotl(c &+ g(d, a, b) &+ x[i + 8] &+ 0x5A82_7999, 9)
                b = rotl(b &+ g(c, d, a) &+ x[i + 12] &+ 0x5A82_7999, 13)
            }
            for i in [0, 2, 1, 3] {
                a = rotl(a &+ h(b, c, d) &+ x[i] &+ 0x6ED9_EBA1, 3)
                d = rotl(d &+ h(a, b, c) &+ x[i + 8] &+ 0x6ED9_EBA1, 9)
                c = rotl(c &+ h(d, a, b) &+ x[i + 4] &+ 0x6ED9_EBA1, 11)
                b = rotl(b &+ h(c, d, a) &+ x[i + 12] &+ 0x6ED9_EBA1, 15)
            }
            a = a &+ aa; b = b &+ bb; c = c &+ cc; d = d &+ dd
        }
        return [a, b, c, d].flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * UInt32($0))) } }
    }

    /// Whether `text` holds, anywhere, `length` consecutive bytes whose NT hash is `hash`.
    static func holdsPassword(_ text: Data, length: Int, hash: [UInt8]) -> Bool {
        let bytes = [UInt8](text)
        guard bytes.count >= length else { return false }
        return (0...(bytes.count - length)).contains { of(bytes[$0..<$0 + length]) == hash }
    }
}
