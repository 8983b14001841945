import Foundation
import SyncAudit
import Testing
@testable import ActiveDirectory

// Times: seconds since 1601-01-01 UTC, from python3:
//   13359452889 = 2024-05-06T07:08:09Z = unix 1714979289
//   13354002367 = 2024-03-04T05:06:07Z = unix 1709528767
@Suite("replPropertyMetaData")
struct ReplPropertyMetaDataTests {
    /// python3: struct.pack('<IIII',1,0,2,0) + for each entry
    /// struct.pack('<IIQ', attid, version, seconds) + bytes(range(16)) + struct.pack('<qq', usn, localUSN)
    static let twoEntriesHex = """
        01000000 00000000 02000000 00000000
        60000900 03000000 d912491c 03000000
        00010203 04050607 08090a0b 0c0d0e0f
        39300000 00000000 3a300000 00000000
        5a000900 02000000 bfe7f51b 03000000
        00010203 04050607 08090a0b 0c0d0e0f
        e02e0000 00000000 e12e0000 00000000
        """

    /// The same blob built field by field.
    static func built(count: UInt32? = nil, version: UInt32 = 1, entries: [(UInt32, UInt32, UInt64, Int64, Int64)]) -> Data {
        var b = Bytes()
        b.u32(version); b.u32(0); b.u32(count ?? UInt32(entries.count)); b.u32(0)
        for (attid, ver, seconds, usn, local) in entries {
            b.u32(attid); b.u32(ver); b.u64(seconds)
            b.raw(Data(0..<16))
            b.u64(UInt64(bitPattern: usn)); b.u64(UInt64(bitPattern: local))
        }
        return b.data
    }

    static let twoEntries: [(UInt32, UInt32, UInt64, Int64, Int64)] = [
        (0x90060, 3, 13_359_452_889, 12345, 12346),
        (0x9005A, 2, 13_354_002_367, 12000, 12001),
    ]

    @Test func builderMatchesHandWrittenBytes() {
        #expect(Self.built(entries: Self.twoEntries) == hex(Self.twoEntriesHex))
        #expect(hex(Self.twoEntriesHex).count == 16 + 2 * 48)
    }

    @Test func decodesTwoEntries() throws {
        let meta = try ADDecoder.replPropertyMetaData(hex(Self.twoEntriesHex))
        #expect(meta.entries.count == 2)
        let pwd = try #require(meta.entry(for: ReplPropertyMetaData.pwdLastSet))
        #expect(pwd.attributeID == 0x90060)
        #expect(pwd.version == 3)
        #expect(pwd.originatingChangeSeconds == 13_359_452_889)
        #expect(pwd.originatingInvocationID.bytes == Array(0..<16))
        #expect(pwd.originatingUSN == 12345)
        #expect(pwd.localUSN == 12346)
        #expect(meta.unicodePwdLastChanged == unix(1_709_528_767))
        #expect(meta.pwdLastSetLastChanged == unix(1_714_979_289))
        #expect(meta.entry(for: ReplPropertyMetaData.unicodePwd)?.version == 2)
    }

    @Test func roundTrip() throws {
        let meta = try ReplPropertyMetaData(blob: hex(Self.twoEntriesHex))
        #expect(meta.blob == hex(Self.twoEntriesHex))
    }

    @Test func noUnicodePwdEntry() throws {
        let meta = try ReplPropertyMetaData(blob: Self.built(entries: [(0x90060, 1, 13_359_452_889, 1, 1)]))
        #expect(meta.unicodePwdLastChanged == nil)
        #expect(meta.pwdLastSetLastChanged == unix(1_714_979_289))
    }

    @Test func emptyVector() throws {
        let meta = try ReplPropertyMetaData(blob: Self.built(entries: []))
        #expect(meta.entries.isEmpty)
        #expect(meta.unicodePwdLastChanged == nil)
    }

    @Test func negativeUSNs() throws {
        let meta = try ReplPropertyMetaData(blob: Self.built(entries: [(0x9005A, 1, 0, -1, .min)]))
        #expect(meta.entries[0].originatingUSN == -1)
        #expect(meta.entries[0].localUSN == .min)
    }

    @Test(arguments: [0, 1, 15, 16 + 47, 16 + 48 + 1, 16 + 95])
    func truncated(length: Int) {
        let blob = hex(Self.twoEntriesHex).prefix(length)
        let error = #expect(throws: AttributeDecodeError.self) { try ReplPropertyMetaData(blob: blob) }
        #expect(error?.attribute == "replPropertyMetaData")
    }

    @Test func shortReasonNamesTheHeader() {
        let error = #expect(throws: AttributeDecodeError.self) { try ReplPropertyMetaData(blob: hex("0100")) }
        #expect(error?.reason == "2 bytes, shorter than the 16-byte header")
    }

    @Test func truncatedReasonNamesTheCount() {
        let error = #expect(throws: AttributeDecodeError.self) {
            try ReplPropertyMetaData(blob: hex(Self.twoEntriesHex).prefix(100))
        }
        #expect(error?.reason == "100 bytes, but 2 entries make 112 (truncated)")
    }

    @Test func countLargerThanData() {
        #expect(throws: AttributeDecodeError.self) {
            try ReplPropertyMetaData(blob: Self.built(count: 0xFFFF_FFFF, entries: Self.twoEntries))
        }
    }

    @Test func trailingBytes() {
        #expect(throws: AttributeDecodeError.self) {
            try ReplPropertyMetaData(blob: hex(Self.twoEntriesHex) + hex("00"))
        }
    }

    @Test func wrongVersion() {
        let error = #expect(throws: AttributeDecodeError.self) {
            try ReplPropertyMetaData(blob: Self.built(version: 2, entries: Self.twoEntries))
        }
        #expect(error?.reason == "version 2, expected 1")
    }

    @Test func sliceWithNonZeroStartIndex() throws {
        let padded = hex("ffff") + hex(Self.twoEntriesHex)
        let meta = try ReplPropertyMetaData(blob: padded.dropFirst(2))
        #expect(meta.unicodePwdLastChanged == unix(1_709_528_767))
    }
}
