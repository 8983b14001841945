public import Foundation

/// ISO 8601 UTC timestamps as the reports and snapshots write them (`2024-03-04T05:06:07Z`,
/// with a fraction only when there is one), and a strict, allocation-light reader for the
/// forms the exports use. Calendar arithmetic is done by hand (days from civil), so it does
/// not depend on the process time zone or locale and is fast enough for a million users.
public enum Timestamp {
    /// Formats `date` in UTC with `Z`. Sub-second parts are written to the millisecond when non-zero.
    public static func format(_ date: Date) -> String {
        let total = date.timeIntervalSince1970
        var seconds = Int64(total.rounded(.down))
        var millis = Int64(((total - Double(seconds)) * 1000).rounded())
        if millis == 1000 { seconds += 1; millis = 0 }
        let days = floorDiv(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        var text = pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T"
            + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay % 3600 / 60, 2) + ":" + pad(secondOfDay % 60, 2)
        if millis != 0 { text += "." + pad(millis, 3) }
        return text + "Z"
    }

    /// The UTC day of `date`: `2024-03-04`.
    public static func formatDay(_ date: Date) -> String {
        String(format(date).prefix(10))
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)`; a space may stand for `T`.
    /// A time without a zone is read as UTC only when `assumeUTC` is true, else `nil`.
    public static func parse(_ text: some StringProtocol, assumeUTC: Bool = false) -> Date? {
        var text = String(text)
        guard let f = text.withUTF8({ (bytes: UnsafeBufferPointer<UInt8>) -> Fields? in Self.fields(bytes) }),
              let offset = f.offset ?? (assumeUTC ? 0 : nil)
        else { return nil }
        return date(year: f.year, month: f.month, day: f.day, hour: f.hour, minute: f.minute,
                    second: f.second, fraction: f.fraction, offset: offset)
    }

    /// Wall-clock fields read from a date text, before any time zone is applied.
    public struct Fields: Sendable, Hashable {
        public var year: Int64
        public var month: Int64
        public var day: Int64
        public var hour: Int64 = 0
        public var minute: Int64 = 0
        public var second: Int64 = 0
        public var fraction: Double = 0
        /// Seconds east of UTC when the text carries a zone (`Z`, `+01:00`); nil for local time.
        public var offset: Int64?

        public init(year: Int64, month: Int64, day: Int64, hour: Int64 = 0, minute: Int64 = 0,
                    second: Int64 = 0, fraction: Double = 0, offset: Int64? = nil) {
            self.year = year
            self.month = month
            self.day = day
            self.hour = hour
            self.minute = minute
            self.second = second
            self.fraction = fraction
            self.offset = offset
        }

        /// The instant, when the text carried its zone.
        public var instant: Date? {
            guard let offset else { return nil }
            return Timestamp.date(year: year, month: month, day: day, hour: hour, minute: minute,
                                  second: second, fraction: fraction, offset: offset)
        }

        public var isValid: Bool {
            Timestamp.date(year: year, month: month, day: day, hour: hour, minute: minute, second: second) != nil
        }
    }

    /// The fields of `YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|±HH:MM|±HHMM]` (a space allowed for
    /// `T`), or nil when the text is not that shape or its offset is beyond ±14:59. Calendar
    /// ranges are checked when the fields become an instant. Works on the bytes in place, so the
    /// export readers call it per user without copying.
    public static func fields(_ u: UnsafeBufferPointer<UInt8>) -> Fields? {
        func digits(_ at: Int, _ count: Int) -> Int64? {
            guard at + count <= u.count else { return nil }
            var v: Int64 = 0
            for i in at..<(at + count) {
                let c = u[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            return v
        }
        guard u.count >= 16, let y = digits(0, 4), u[4] == 0x2D, let mo = digits(5, 2), u[7] == 0x2D,
              let d = digits(8, 2), u[10] == 0x54 || u[10] == 0x74 || u[10] == 0x20,
              let h = digits(11, 2), u[13] == 0x3A, let mi = digits(14, 2)
        else { return nil }
        var f = Fields(year: y, month: mo, day: d, hour: h, minute: mi)
        var i = 16
        if i < u.count, u[i] == 0x3A {
            guard let s = digits(17, 2) else { return nil }
            f.second = s
            i = 19
        }
        if i < u.count, u[i] == 0x2E || u[i] == 0x2C {
            i += 1
            var scale = 0.1
            let start = i
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                f.fraction += Double(u[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        if i == u.count { return f }
        if u[i] == 0x5A || u[i] == 0x7A {
            i += 1
            f.offset = 0
        } else if u[i] == 0x2B || u[i] == 0x2D {
            let sign: Int64 = u[i] == 0x2B ? 1 : -1
            guard let oh = digits(i + 1, 2), oh <= 14 else { return nil }
            i += 3
            var om: Int64 = 0
            if i < u.count, u[i] == 0x3A { i += 1 }
            if i < u.count {
                guard let m = digits(i, 2), m < 60 else { return nil }
                om = m
                i += 2
            }
            f.offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        return i == u.count ? f : nil
    }

    /// The UTC instant of a wall-clock time at a fixed offset from UTC, after validating every field.
    public static func date(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64,
                            fraction: Double = 0, offset: Int64 = 0) -> Date? {
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        let days = daysFromCivil(year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Days in `month` (1–12) of the proleptic Gregorian `year`.
    public static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
