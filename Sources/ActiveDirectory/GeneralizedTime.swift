public import Foundation
import SyncAudit

/// LDAP GeneralizedTime (RFC 4517 3.3.13, after X.680 46): `YYYYMMDDHH[MM[SS]][(.|,)fraction](Z|±HH[MM])`.
///
/// AD writes `20240304050607.0Z`. A fraction applies to the last unit present (a fraction of
/// an hour when minutes are absent). A second of 60 (leap second) is accepted. LDAP requires
/// a time zone, so a local time without `Z` or an offset is rejected instead of guessed.
public enum GeneralizedTime {
    public static func parse(_ text: String, attribute: String = "GeneralizedTime") throws(AttributeDecodeError) -> Date {
        let u = Array(text.utf8)
        func fail(_ reason: String) -> AttributeDecodeError {
            AttributeDecodeError(attribute: attribute, reason: "\(AttributeDecodeError.quote(text)) \(reason)")
        }
        func isDigit(_ i: Int) -> Bool { i < u.count && u[i] >= 0x30 && u[i] <= 0x39 }
        func number(_ at: Int, _ count: Int) -> Int64? {
            guard at + count <= u.count else { return nil }
            var v: Int64 = 0
            for i in at..<(at + count) {
                guard isDigit(i) else { return nil }
                v = v * 10 + Int64(u[i] - 0x30)
            }
            return v
        }
        guard !u.isEmpty else {
            throw AttributeDecodeError(attribute: attribute, reason: "empty value, expected a GeneralizedTime such as 20240304050607.0Z")
        }
        guard let year = number(0, 4), let month = number(4, 2), let day = number(6, 2), let hour = number(8, 2) else {
            throw fail("is not a GeneralizedTime (expected YYYYMMDDHH[MM[SS]][.fraction]Z)")
        }
        guard (1...12).contains(month) else { throw fail("has month \(month)") }
        guard day >= 1, day <= Timestamp.daysIn(month: month, year: year) else { throw fail("has day \(day) in month \(month)") }
        guard (0...23).contains(hour) else { throw fail("has hour \(hour)") }

        var i = 10
        var minute: Int64 = 0
        var second: Int64 = 0
        // 3600 while only the hour is present, then 60, then 1: what a fraction is a fraction of.
        var unit = 3600.0
        if isDigit(i) {
            guard let m = number(i, 2) else { throw fail("has a truncated minute") }
            guard (0...59).contains(m) else { throw fail("has minute \(m)") }
            minute = m
            unit = 60
            i += 2
            if isDigit(i) {
                guard let s = number(i, 2) else { throw fail("has a truncated second") }
                guard (0...60).contains(s) else { throw fail("has second \(s)") }
                second = s
                unit = 1
                i += 2
            }
        }
        var fraction = 0.0
        if i < u.count, u[i] == UInt8(ascii: ".") || u[i] == UInt8(ascii: ",") {
            i += 1
            var scale = 0.1
            let start = i
            while isDigit(i) {
                fraction += Double(u[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { throw fail("has a decimal sign without digits") }
        }
        var offset: Int64 = 0
        guard i < u.count else { throw fail("has no time zone (expected Z or ±HHMM at the end)") }
        switch u[i] {
        case UInt8(ascii: "Z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Int64 = u[i] == UInt8(ascii: "+") ? 1 : -1
            guard let oh = number(i + 1, 2) else { throw fail("has a malformed time zone offset (expected ±HH or ±HHMM)") }
            guard (0...23).contains(oh) else { throw fail("has a time zone offset of \(oh) hours") }
            i += 3
            var om: Int64 = 0
            if i < u.count {
                guard let m = number(i, 2) else { throw fail("has a malformed time zone offset (expected ±HH or ±HHMM)") }
                guard (0...59).contains(m) else { throw fail("has a time zone offset of \(m) minutes") }
                om = m
                i += 2
            }
            offset = sign * (oh * 3600 + om * 60)
        default:
            throw fail("has an unexpected character where the time zone should be (expected Z or ±HHMM)")
        }
        guard i == u.count else { throw fail("has characters after the time zone") }
        guard let date = Timestamp.date(year: year, month: month, day: day, hour: hour, minute: minute,
                                        second: second, fraction: fraction * unit, offset: offset)
        else { throw fail("is not a valid time") }
        guard Snapshot.timeRange.contains(date) else { throw fail("lies outside the years 0000–9999 in UTC") }
        return date
    }
}
