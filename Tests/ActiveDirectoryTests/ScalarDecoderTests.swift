import Foundation
import SyncAudit
import Testing
@testable import ActiveDirectory

// Expected values were computed with python3 (datetime, struct), not with the code under test:
//   FILETIME 133540023670000000 = 2024-03-04T05:06:07Z = unix 1709528767
//   FILETIME 132537600000000000 = 2020-12-30T00:00:00Z = unix 1609286400
//   FILETIME 133801632000000000 = 2025-01-01T00:00:00Z = unix 1735689600
//   int32 -2147483134 = uint32 0x80000202

@Suite("Integers")
struct IntegerTests {
    @Test(arguments: [("0", Int64(0)), ("42", 42), ("-1", -1), ("9223372036854775807", .max), ("-9223372036854775808", .min)])
    func decimal(text: String, expected: Int64) throws {
        #expect(try ADDecoder.integer(text, attribute: "x") == expected)
    }

    @Test(arguments: ["", "-", "abc", "12a", " 12", "12 ", "1.5", "0x10", "١٢"])
    func notDecimal(text: String) {
        #expect(throws: AttributeDecodeError.self) { try ADDecoder.integer(text, attribute: "x") }
    }

    @Test func outOfRangeSaysSo() {
        let error = #expect(throws: AttributeDecodeError.self) {
            try ADDecoder.integer("9223372036854775808", attribute: "uSNChanged")
        }
        #expect(error?.attribute == "uSNChanged")
        #expect(error?.reason.contains("out of range") == true)
    }

    @Test func text() throws {
        #expect(try ADDecoder.text(utf8("PHSFiltered"), attribute: "adminDescription") == "PHSFiltered")
        #expect(try ADDecoder.text(utf8("Zoë"), attribute: "adminDescription") == "Zoë")
        #expect(throws: AttributeDecodeError.self) { try ADDecoder.text(hex("ff fe 41"), attribute: "adminDescription") }
    }
}

@Suite("FILETIME, pwdLastSet, accountExpires")
struct FileTimeTests {
    @Test(arguments: [
        ("133540023670000000", 1_709_528_767.0),
        ("132537600000000000", 1_609_286_400.0),
        ("116444736000000000", 0.0),
        ("0", -11_644_473_600.0),
    ])
    func fileTime(text: String, unixSeconds: Double) throws {
        #expect(try ADDecoder.fileTime(text, attribute: "x") == unix(unixSeconds))
    }

    @Test(arguments: ["-5", "", "now", "1e17", "99999999999999999999"])
    func malformedFileTime(text: String) {
        #expect(throws: AttributeDecodeError.self) { try ADDecoder.fileTime(text, attribute: "x") }
    }

    @Test func pwdLastSetStates() throws {
        #expect(try ADDecoder.pwdLastSet(nil) == .absent)
        #expect(try ADDecoder.pwdLastSet("0") == .mustChange)
        #expect(try ADDecoder.pwdLastSet("133540023670000000") == .set(unix(1_709_528_767), raw: 133_540_023_670_000_000))
    }

    @Test func pwdLastSetMinusOneIsNeverStored() {
        let error = #expect(throws: AttributeDecodeError.self) { try ADDecoder.pwdLastSet("-1") }
        #expect(error?.attribute == "pwdLastSet")
        #expect(error?.reason.contains("never stores") == true)
    }

    @Test(arguments: ["-2", "", "abc", "133540023670000000.0", "18446744073709551615"])
    func pwdLastSetMalformed(text: String) {
        #expect(throws: AttributeDecodeError.self) { try ADDecoder.pwdLastSet(text) }
    }

    @Test(arguments: ["0", "9223372036854775807"])
    func accountNeverExpires(text: String) throws {
        #expect(try ADDecoder.accountExpires(text) == nil)
    }

    @Test func accountExpiresAt() throws {
        #expect(try ADDecoder.accountExpires("133801632000000000") == unix(1_735_689_600))
    }

    @Test(arguments: ["-1", "x", "", "9223372036854775808"])
    func accountExpiresMalformed(text: String) {
        #expect(throws: AttributeDecodeError.self) { try ADDecoder.accountExpires(text) }
    }
}

@Suite("userAccountControl")
struct UserAccountControlTests {
    @Test(arguments: [
        ("512", UInt32(0x200)),
        ("514", 0x202),
        ("66048", 0x10200),
        ("-2147483134", 0x8000_0202), // signed 32-bit form
        ("2147484162", 0x8000_0202),  // the same bits unsigned
        ("4294967295", 0xFFFF_FFFF),
        ("-1", 0xFFFF_FFFF),
        ("0", 0),
    ])
    func decodes(text: String, raw: UInt32) throws {
        #expect(try ADDecoder.userAccountControl(text).rawValue == raw)
    }

    @Test func disabledBit() throws {
        #expect(try ADDecoder.userAccountControl("514").contains(.accountDisable))
        #expect(try !ADDecoder.userAccountControl("512").contains(.accountDisable))
    }

    @Test(arguments: ["4294967296", "-2147483649", "", "0x200", "NORMAL_ACCOUNT", "512 "])
    func malformed(text: String) {
        #expect(throws: AttributeDecodeError.self) { try ADDecoder.userAccountControl(text) }
    }

    @Test(arguments: [
        ("0", false, false),
        ("16", true, false),
        ("8388608", false, true),
        ("8388624", true, true),
        ("-2139095024", true, true), // 0x80800010 in signed form
    ])
    func computed(text: String, lockedOut: Bool, passwordExpired: Bool) throws {
        let flags = try ADDecoder.accountControlComputed(text)
        #expect(flags.lockedOut == lockedOut)
        #expect(flags.passwordExpired == passwordExpired)
    }

    @Test func computedMalformedNamesTheAttribute() {
        let error = #expect(throws: AttributeDecodeError.self) { try ADDecoder.accountControlComputed("locked") }
        #expect(error?.attribute == "msDS-User-Account-Control-Computed")
    }
}
