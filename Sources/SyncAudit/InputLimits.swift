/// How much of an input phs-check holds at once, so that no input — a damaged file,
/// `/dev/zero`, an endless pipe — can make it allocate without bound. Every reader stops at
/// these limits with an error naming the limit and the option that raises it.
public struct InputLimits: Sendable, Hashable {
    /// The longest snapshot line, CSV record or JSON string (`--max-record-size`). A user's
    /// line is about a kilobyte; a megabyte leaves room for any real one.
    public var maxRecordSize: Int
    /// The most bytes held in memory for an input that cannot be read twice (a CSV export on
    /// standard input) or that is read whole (the tenant file) (`--max-input-size`).
    public var maxInputSize: Int

    public static let defaultMaxRecordSize = 1 << 20
    public static let defaultMaxInputSize = 4 << 30

    public init(maxRecordSize: Int = defaultMaxRecordSize, maxInputSize: Int = defaultMaxInputSize) {
        self.maxRecordSize = maxRecordSize
        self.maxInputSize = maxInputSize
    }
}

/// Sizes as the options take and the messages show them: `512`, `64k`, `1M`, `1MiB`, `4G`
/// (powers of 1024).
public enum ByteSize {
    public static func parse(_ text: String) -> Int? {
        var digits = Substring(text.filter { $0 != " " }).lowercased()[...]
        for suffix in ["ib", "b"] where digits.hasSuffix(suffix) { digits = digits.dropLast(suffix.count); break }
        let scale: Int
        switch digits.last {
        case "k": scale = 1 << 10
        case "m": scale = 1 << 20
        case "g": scale = 1 << 30
        case "t": scale = 1 << 40
        default: scale = 1
        }
        if scale > 1 { digits = digits.dropLast() }
        guard let value = Int(digits), value > 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : product
    }

    /// `1 MiB`, `4 GiB`, `1.5 MiB`, `900 bytes`.
    public static func format(_ bytes: Int) -> String {
        for (unit, size) in [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= size {
            let value = Double(bytes) / Double(size)
            return value == value.rounded() ? "\(Int(value)) \(unit)" : "\((value * 10).rounded() / 10) \(unit)"
        }
        return "\(bytes) bytes"
    }
}
