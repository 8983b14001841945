import Foundation
import SyncAudit

typealias DateFields = Timestamp.Fields

/// How a local wall-clock time maps to instants in a time zone.
enum LocalTimeResolution: Equatable {
    case date(Date)
    /// The time falls in a daylight-saving gap (clocks jumped over it).
    case nonexistent
    /// The time happened twice (clocks went back); both instants.
    case ambiguous(Date, Date)
    case invalid
}

enum LocalTime {
    /// Resolves a wall-clock time in `zone` through Foundation's zone rules, so daylight
    /// saving is right for every date, with the gap and the repeated hour told apart.
    static func resolve(_ f: DateFields, in zone: TimeZone) -> LocalTimeResolution {
        guard let wall = Timestamp.date(year: f.year, month: f.month, day: f.day, hour: f.hour,
                                        minute: f.minute, second: f.second, fraction: f.fraction, offset: 0)
        else { return .invalid }
        let t = wall.timeIntervalSince1970
        var offsets: [Int] = []
        for probe in [t - 86_400, t, t + 86_400] {
            let o = zone.secondsFromGMT(for: Date(timeIntervalSince1970: probe))
            if !offsets.contains(o) { offsets.append(o) }
        }
        var solutions: [Double] = []
        for o in offsets {
            let u = t - Double(o)
            if zone.secondsFromGMT(for: Date(timeIntervalSince1970: u)) == o, !solutions.contains(u) {
                solutions.append(u)
            }
        }
        solutions.sort()
        switch solutions.count {
        case 0: return .nonexistent
        case 1: return .date(Date(timeIntervalSince1970: solutions[0]))
        default: return .ambiguous(Date(timeIntervalSince1970: solutions[0]),
                                   Date(timeIntervalSince1970: solutions[solutions.count - 1]))
        }
    }
}

/// Dates in JSON exports: Graph and PowerShell 7 ISO 8601, Windows PowerShell 5.1 `/Date(ms)/`.
enum JSONDate {
    enum Outcome: Equatable {
        case date(Date)
        /// ISO 8601 without a zone (PowerShell 7 writes DateTimeKind.Unspecified like that).
        case local(DateFields)
        case invalid
    }

    static func read(_ b: UnsafeBufferPointer<UInt8>) -> Outcome {
        if b.count >= 8, b[0] == 0x2F, b[1] == 0x44 { return readMicrosoftDate(b) }
        guard let f = Timestamp.fields(b) else { return .invalid }
        if f.offset != nil { return f.instant.map(Outcome.date) ?? .invalid }
        return f.isValid ? .local(f) : .invalid
    }

    static func read(_ text: String) -> Outcome {
        var copy = text
        return copy.withUTF8 { read($0) }
    }

    /// `/Date(1700000000000)/` or `/Date(1700000000000+0100)/`: milliseconds since 1970 UTC;
    /// the offset only tells the writer's zone and does not move the instant.
    static func readMicrosoftDate(_ b: UnsafeBufferPointer<UInt8>) -> Outcome {
        let prefix = Array("/Date(".utf8)
        guard b.count > prefix.count + 2, Array(b[0..<prefix.count]) == prefix,
              b[b.count - 2] == 0x29, b[b.count - 1] == 0x2F else { return .invalid }
        var i = prefix.count
        let stop = b.count - 2
        var negative = false
        if b[i] == 0x2D { negative = true; i += 1 }
        var ms: Int64 = 0
        let digitsStart = i
        while i < stop, b[i] >= 0x30, b[i] <= 0x39 {
            guard i - digitsStart < 16 else { return .invalid }
            ms = ms * 10 + Int64(b[i] - 0x30)
            i += 1
        }
        guard i > digitsStart else { return .invalid }
        if i < stop {
            guard b[i] == 0x2B || b[i] == 0x2D, stop - i == 5 else { return .invalid }
            for k in (i + 1)..<stop where !(b[k] >= 0x30 && b[k] <= 0x39) { return .invalid }
        }
        let seconds = Double(negative ? -ms : ms) / 1000
        return .date(Date(timeIntervalSince1970: seconds))
    }
}

/// The order of day, month and year in a numeric date.
enum DateOrder: String, Sendable {
    case yearMonthDay = "yyyy-MM-dd"
    case monthDayYear = "MM/dd/yyyy"
    case dayMonthYear = "dd/MM/yyyy"
}

/// A date as PowerShell's `Export-Csv` writes it in some culture: `11/14/2023 10:13:20 PM`
/// (en-US), `14-11-2023 22:13:20` (nl-NL), `14.11.2023 22:13:20` (de-DE),
/// `2023-11-14 22:13:20` (sv-SE), `2023/11/14 22:13:20` (ja-JP), or ISO 8601 with a zone.
/// Day and month are kept apart (`first`, `second`) until the file's order is known.
struct CultureDate: Sendable, Hashable {
    var first: Int64
    var second: Int64
    var third: Int64
    var firstDigits: Int
    var thirdDigits: Int
    var hour: Int64 = 0
    var minute: Int64 = 0
    var seconds: Int64 = 0
    var fraction: Double = 0
    var offset: Int64?

    /// The orders this text can be read in: year first when it starts with four digits,
    /// else month-first and/or day-first as the numbers allow.
    var possibleOrders: [DateOrder] {
        if firstDigits == 4 { return [.yearMonthDay] }
        var orders: [DateOrder] = []
        if first <= 12 { orders.append(.monthDayYear) }
        if second <= 12 { orders.append(.dayMonthYear) }
        return orders
    }

    /// Whether month-first and day-first give different dates (both numbers ≤ 12 and unequal).
    var isAmbiguous: Bool {
        firstDigits != 4 && first <= 12 && second <= 12 && first != second
    }

    func fields(_ order: DateOrder) -> DateFields? {
        var f: DateFields
        switch order {
        case .yearMonthDay:
            guard firstDigits == 4 else { return nil }
            f = DateFields(year: first, month: second, day: third)
        case .monthDayYear, .dayMonthYear:
            guard firstDigits <= 2, thirdDigits == 4 else { return nil }
            f = order == .monthDayYear ? DateFields(year: third, month: first, day: second)
                                       : DateFields(year: third, month: second, day: first)
        }
        f.hour = hour
        f.minute = minute
        f.second = seconds
        f.fraction = fraction
        f.offset = offset
        return f.isValid ? f : nil
    }

    static func parse(_ text: String) -> CultureDate? {
        var s = DateScanner(text)
        s.skipSpaces()
        guard let (a, ad) = s.number(), let sep = s.oneOf("/-.") else { return nil }
        guard let (b, _) = s.number(), s.take(sep), let (c, cd) = s.number() else { return nil }
        guard ad <= 4, cd <= 4, ad == 4 || cd == 4 || cd == 2 else { return nil }
        var d = CultureDate(first: a, second: b, third: c, firstDigits: ad, thirdDigits: cd)
        _ = s.take(".")
        let hadSpace = s.skipSpaces()
        if s.atEnd { return d }
        guard hadSpace || s.take("T") || s.take("t") else { return nil }
        s.skipSpaces()
        guard let (h, _) = s.number(), s.take(":"), let (mi, mid) = s.number(), mid == 2 else { return nil }
        d.hour = h
        d.minute = mi
        if s.take(":") {
            guard let (sec, sd) = s.number(), sd == 2 else { return nil }
            d.seconds = sec
            if s.take(".") || s.take(",") {
                guard let (frac, fd) = s.number(maxDigits: 9) else { return nil }
                d.fraction = Double(frac) / pow(10, Double(fd))
            }
        }
        s.skipSpaces()
        if let pm = s.designator() {
            guard (1...12).contains(d.hour) else { return nil }
            d.hour = d.hour % 12 + (pm ? 12 : 0)
            s.skipSpaces()
        }
        if let offset = s.zone() { d.offset = offset }
        s.skipSpaces()
        return s.atEnd ? d : nil
    }
}

/// A character scanner for dates, tolerant of the no-break spaces newer .NET cultures
/// write before AM/PM.
struct DateScanner {
    private let scalars: [Unicode.Scalar]
    private var i = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    var atEnd: Bool { i >= scalars.count }

    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\u{00A0}" || c == "\u{202F}"
    }

    @discardableResult
    mutating func skipSpaces() -> Bool {
        let start = i
        while i < scalars.count, Self.isSpace(scalars[i]) { i += 1 }
        return i > start
    }

    mutating func number(maxDigits: Int = 4) -> (Int64, Int)? {
        var v: Int64 = 0
        let start = i
        while i < scalars.count, i - start < maxDigits, scalars[i].value >= 0x30, scalars[i].value <= 0x39 {
            v = v * 10 + Int64(scalars[i].value - 0x30)
            i += 1
        }
        return i > start ? (v, i - start) : nil
    }

    mutating func oneOf(_ set: String) -> Unicode.Scalar? {
        guard i < scalars.count, set.unicodeScalars.contains(scalars[i]) else { return nil }
        i += 1
        return scalars[i - 1]
    }

    mutating func take(_ c: Unicode.Scalar) -> Bool {
        guard i < scalars.count, scalars[i] == c else { return false }
        i += 1
        return true
    }

    /// AM/PM in the forms cultures write (`AM`, `PM`, `a.m.`, `p.m.`); true for PM.
    mutating func designator() -> Bool? {
        for (text, pm) in [("a.m.", false), ("p.m.", true), ("am", false), ("pm", true)] where hasPrefix(text) {
            i += text.unicodeScalars.count
            return pm
        }
        return nil
    }

    /// Whether the rest starts with `lower` (ASCII lower case), ignoring case.
    private func hasPrefix(_ lower: String) -> Bool {
        var j = i
        for c in lower.unicodeScalars {
            guard j < scalars.count else { return false }
            var s = scalars[j].value
            if s >= 0x41 && s <= 0x5A { s |= 0x20 }
            guard s == c.value else { return false }
            j += 1
        }
        return true
    }

    /// `Z`, `UTC`, `±HH:MM`, `±HHMM`, `±HH`: seconds east of UTC.
    mutating func zone() -> Int64? {
        if take("Z") || take("z") { return 0 }
        if scalars.count - i == 3, hasPrefix("utc") || hasPrefix("gmt") { i = scalars.count; return 0 }
        guard i < scalars.count, scalars[i] == "+" || scalars[i] == "-" else { return nil }
        let save = i
        let sign: Int64 = scalars[i] == "+" ? 1 : -1
        i += 1
        guard let (h, hd) = number(maxDigits: 2), hd == 2 else { i = save; return nil }
        var m: Int64 = 0
        _ = take(":")
        if let (mm, md) = number(maxDigits: 2) {
            guard md == 2 else { i = save; return nil }
            m = mm
        }
        return sign * (h * 3600 + m * 60)
    }
}

/// `--cloud-date-format`: a .NET-style pattern (`MM/dd/yyyy HH:mm:ss`, `d-M-yyyy H:mm:ss`,
/// `M/d/yyyy h:mm:ss tt`). Numeric fields take one or two digits whatever the letter count;
/// a space matches any run of spaces.
public struct DatePattern: Sendable, Hashable, CustomStringConvertible {
    enum Token: Sendable, Hashable {
        case day, month, year4, year2, hour24, hour12, minute, second, fraction, designator, zone, space
        case literal(Unicode.Scalar)
    }

    let tokens: [Token]
    public let description: String

    /// Nil when the pattern has a letter phs-check does not read (month names, weekdays)
    /// or lacks the day, month or year.
    public init?(_ pattern: String) {
        var tokens: [Token] = []
        let chars = Array(pattern.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            var run = 1
            while i + run < chars.count, chars[i + run] == c { run += 1 }
            switch c {
            case "d": guard run <= 2 else { return nil }; tokens.append(.day)
            case "M": guard run <= 2 else { return nil }; tokens.append(.month)
            case "y": guard run == 2 || run == 4 else { return nil }; tokens.append(run == 4 ? .year4 : .year2)
            case "H": guard run <= 2 else { return nil }; tokens.append(.hour24)
            case "h": guard run <= 2 else { return nil }; tokens.append(.hour12)
            case "m": guard run <= 2 else { return nil }; tokens.append(.minute)
            case "s": guard run <= 2 else { return nil }; tokens.append(.second)
            case "f", "F": tokens.append(.fraction)
            case "t", "a": tokens.append(.designator)
            case "z", "K", "Z", "X", "x": tokens.append(.zone)
            case " ", "\u{00A0}", "\u{202F}": tokens.append(.space)
            case "'", "\"":
                var j = i + 1
                while j < chars.count, chars[j] != c { tokens.append(.literal(chars[j])); j += 1 }
                guard j < chars.count else { return nil }
                i = j + 1
                continue
            case "\\":
                guard i + 1 < chars.count else { return nil }
                tokens.append(.literal(chars[i + 1]))
                i += 2
                continue
            default:
                if c.properties.isAlphabetic { return nil }
                for _ in 0..<run { tokens.append(.literal(c)) }
            }
            i += run
        }
        guard tokens.contains(.day), tokens.contains(.month),
              tokens.contains(.year4) || tokens.contains(.year2) else { return nil }
        self.tokens = tokens
        self.description = pattern
    }

    /// The fields of `text` in this pattern, or else of a year-first date with a zone
    /// (ISO 8601), which is exact whatever the pattern.
    func fieldsOrZoned(_ text: String) -> DateFields? {
        fields(text) ?? CultureDate.parse(text).flatMap { $0.offset != nil ? $0.fields(.yearMonthDay) : nil }
    }

    /// The wall-clock fields of `text`, or nil when it does not match.
    func fields(_ text: String) -> DateFields? {
        var s = DateScanner(text)
        s.skipSpaces()
        var f = DateFields(year: 0, month: 0, day: 0)
        var pm: Bool?
        var hour12: Int64?
        for token in tokens {
            switch token {
            case .day: guard let (v, _) = s.number(maxDigits: 2) else { return nil }; f.day = v
            case .month: guard let (v, _) = s.number(maxDigits: 2) else { return nil }; f.month = v
            case .year4: guard let (v, n) = s.number(maxDigits: 4), n == 4 else { return nil }; f.year = v
            case .year2: guard let (v, n) = s.number(maxDigits: 2), n == 2 else { return nil }; f.year = 2000 + v
            case .hour24: guard let (v, _) = s.number(maxDigits: 2) else { return nil }; f.hour = v
            case .hour12: guard let (v, _) = s.number(maxDigits: 2), (1...12).contains(v) else { return nil }; hour12 = v
            case .minute: guard let (v, _) = s.number(maxDigits: 2) else { return nil }; f.minute = v
            case .second: guard let (v, _) = s.number(maxDigits: 2) else { return nil }; f.second = v
            case .fraction:
                guard let (v, n) = s.number(maxDigits: 9) else { return nil }
                f.fraction = Double(v) / pow(10, Double(n))
            case .designator: guard let p = s.designator() else { return nil }; pm = p
            case .zone: guard let o = s.zone() else { return nil }; f.offset = o
            case .space: guard s.skipSpaces() else { return nil }
            case .literal(let c): guard s.take(c) else { return nil }
            }
        }
        s.skipSpaces()
        guard s.atEnd else { return nil }
        if let hour12 {
            guard let pm else { return nil }
            f.hour = hour12 % 12 + (pm ? 12 : 0)
        }
        return f.isValid ? f : nil
    }
}
