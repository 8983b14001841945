public import Foundation
public import SyncAudit

/// `replPropertyMetaData`: per attribute, the version and the last originating change
/// ([MS-DRSR] 5.166 PROPERTY_META_DATA_EXT_VECTOR as AD stores it).
///
/// Binary, little-endian: a 16-byte header (uint32 version = 1, uint32 reserved, uint32
/// count, uint32 reserved), then `count` entries of 48 bytes: uint32 attid, uint32 version,
/// uint64 originating change time (whole seconds since 1601-01-01 UTC), 16-byte originating
/// invocation id, int64 originating USN, int64 local USN.
///
/// phs-check reads it for `unicodePwd`: when `pwdLastSet` moved but `unicodePwd` was not
/// written again ("0 then −1"), there is no new password for PHS to carry.
public struct ReplPropertyMetaData: Sendable, Hashable {
    /// attid of `unicodePwd`.
    public static let unicodePwd: UInt32 = 0x9005A
    /// attid of `pwdLastSet`.
    public static let pwdLastSet: UInt32 = 0x90060

    /// Seconds between 1601-01-01 and 1970-01-01 UTC (`FileTime.unixEpochTicks` in seconds).
    public static let unixEpochSeconds: Int64 = FileTime.unixEpochTicks / 10_000_000

    public struct Entry: Sendable, Hashable {
        public var attributeID: UInt32
        public var version: UInt32
        /// Whole seconds since 1601-01-01 UTC, as stored.
        public var originatingChangeSeconds: UInt64
        public var originatingInvocationID: ObjectGUID
        public var originatingUSN: Int64
        public var localUSN: Int64

        public init(attributeID: UInt32, version: UInt32, originatingChangeSeconds: UInt64,
                    originatingInvocationID: ObjectGUID, originatingUSN: Int64, localUSN: Int64) {
            self.attributeID = attributeID
            self.version = version
            self.originatingChangeSeconds = originatingChangeSeconds
            self.originatingInvocationID = originatingInvocationID
            self.originatingUSN = originatingUSN
            self.localUSN = localUSN
        }

        /// The originating change time as a `Date`.
        public var originatingChangeTime: Date {
            Date(timeIntervalSince1970: Double(originatingChangeSeconds) - Double(ReplPropertyMetaData.unixEpochSeconds))
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Decodes the blob; short, truncated or oversized data and a version other than 1 throw.
    public init(blob: Data) throws(AttributeDecodeError) {
        let b = [UInt8](blob)
        func fail(_ reason: String) -> AttributeDecodeError {
            AttributeDecodeError(attribute: "replPropertyMetaData", reason: reason)
        }
        func u32(_ at: Int) -> UInt32 { b.littleEndianUInt32(at: at) }
        func u64(_ at: Int) -> UInt64 { b.littleEndianUInt64(at: at) }

        guard b.count >= 16 else {
            throw fail("\(AttributeDecodeError.byteCount(b.count)), shorter than the 16-byte header")
        }
        let version = u32(0)
        guard version == 1 else { throw fail("version \(version), expected 1") }
        let count = Int(u32(8))
        let expected = 16 + 48 * count
        guard b.count >= expected else {
            throw fail("\(b.count) bytes, but \(count) entries make \(expected) (truncated)")
        }
        guard b.count == expected else {
            throw fail("\(b.count) bytes, but \(count) entries make \(expected) (\(b.count - expected) bytes too many)")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for k in 0..<count {
            let at = 16 + 48 * k
            guard let invocation = ObjectGUID(bytes: b[(at + 16)..<(at + 32)]) else {
                throw fail("entry \(k) has no 16-byte invocation id")
            }
            let entry = Entry(
                attributeID: u32(at),
                version: u32(at + 4),
                originatingChangeSeconds: u64(at + 8),
                originatingInvocationID: invocation,
                originatingUSN: Int64(bitPattern: u64(at + 32)),
                localUSN: Int64(bitPattern: u64(at + 40))
            )
            guard Snapshot.timeRange.contains(entry.originatingChangeTime) else {
                throw fail("entry \(k) has an originating change after the year 9999")
            }
            entries.append(entry)
        }
        self.entries = entries
    }

    /// The entry of one attribute (the latest originating change if, unexpectedly, there are several).
    public func entry(for attributeID: UInt32) -> Entry? {
        entries.filter { $0.attributeID == attributeID }.max { $0.originatingChangeSeconds < $1.originatingChangeSeconds }
    }

    /// The last originating change of `unicodePwd`: when a password was last actually set.
    public var unicodePwdLastChanged: Date? { entry(for: Self.unicodePwd)?.originatingChangeTime }

    /// The last originating change of `pwdLastSet` (moves on "0 then −1" too).
    public var pwdLastSetLastChanged: Date? { entry(for: Self.pwdLastSet)?.originatingChangeTime }

    /// The binary form (the inverse of `init(blob:)`).
    public var blob: Data {
        var d = Data()
        func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func put64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        put32(1); put32(0); put32(UInt32(entries.count)); put32(0)
        for e in entries {
            put32(e.attributeID); put32(e.version); put64(e.originatingChangeSeconds)
            d.append(contentsOf: e.originatingInvocationID.bytes)
            put64(UInt64(bitPattern: e.originatingUSN)); put64(UInt64(bitPattern: e.localUSN))
        }
        return d
    }
}
