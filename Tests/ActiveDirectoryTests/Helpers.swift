import Foundation

/// Bytes from a hex string with optional spaces: `hex("01 05 00")`.
func hex(_ text: String) -> Data {
    let digits = text.filter { !$0.isWhitespace }
    var data = Data()
    var i = digits.startIndex
    while i < digits.endIndex {
        let j = digits.index(i, offsetBy: 2)
        data.append(UInt8(digits[i..<j], radix: 16)!)
        i = j
    }
    return data
}

func utf8(_ text: String) -> Data { Data(text.utf8) }

/// A `Date` from Unix seconds (expected values computed independently with python3).
func unix(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

/// Little-endian byte builders for hand-made binary attributes.
struct Bytes {
    var data = Data()
    mutating func u8(_ v: UInt8) { data.append(v) }
    mutating func u32(_ v: UInt32) { for k in 0..<4 { data.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(k)))) } }
    mutating func u64(_ v: UInt64) { for k in 0..<8 { data.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) } }
    mutating func raw(_ d: Data) { data.append(d) }
}
