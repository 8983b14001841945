import Foundation
import SyncAudit
import Testing
@testable import ActiveDirectory

// Known pairs computed with python3:
//   uuid.UUID(bytes_le=bytes.fromhex("d5068b4f312a4843b82c305c2b9c0e44"))
//     = 4f8b06d5-2a31-4348-b82c-305c2b9c0e44, base64 of the raw bytes 1QaLTzEqSEO4LDBcK5wORA==
//   bytes(range(16)): uuid 03020100-0504-0706-0809-0a0b0c0d0e0f, base64 AAECAwQFBgcICQoLDA0ODw==
//   S-1-5-21-3623811015-3361044348-30300820-1013:
//     bytes([1,5]) + (5).to_bytes(6,'big') + struct.pack('<5I', 21, 3623811015, 3361044348, 30300820, 1013)

@Suite("objectGUID and mS-DS-ConsistencyGuid")
struct GUIDTests {
    static let pairs: [(bytes: String, uuid: String, base64: String)] = [
        ("d5068b4f312a4843b82c305c2b9c0e44", "4f8b06d5-2a31-4348-b82c-305c2b9c0e44", "1QaLTzEqSEO4LDBcK5wORA=="),
        ("000102030405060708090a0b0c0d0e0f", "03020100-0504-0706-0809-0a0b0c0d0e0f", "AAECAwQFBgcICQoLDA0ODw=="),
    ]

    @Test(arguments: pairs)
    func rawBytes(pair: (bytes: String, uuid: String, base64: String)) throws {
        let guid = try ADDecoder.objectGUID(hex(pair.bytes))
        #expect(guid.bytes == [UInt8](hex(pair.bytes)))
        #expect(guid.uuidString == pair.uuid)
        #expect(guid.base64 == pair.base64)
    }

    @Test(arguments: pairs)
    func textForms(pair: (bytes: String, uuid: String, base64: String)) throws {
        let expected = [UInt8](hex(pair.bytes))
        #expect(try ADDecoder.objectGUID(utf8(pair.uuid)).bytes == expected)
        #expect(try ADDecoder.objectGUID(utf8(pair.uuid.uppercased())).bytes == expected)
        #expect(try ADDecoder.objectGUID(utf8("{" + pair.uuid + "}")).bytes == expected)
        #expect(try ADDecoder.objectGUID(utf8(pair.base64)).bytes == expected)
    }

    @Test func dataSliceWithNonZeroStartIndex() throws {
        let padded = hex("ff d5068b4f312a4843b82c305c2b9c0e44")
        let slice = padded.dropFirst()
        #expect(try ADDecoder.objectGUID(slice).uuidString == "4f8b06d5-2a31-4348-b82c-305c2b9c0e44")
    }

    @Test(arguments: [0, 1, 15, 17, 24, 36])
    func wrongLength(count: Int) {
        let error = #expect(throws: AttributeDecodeError.self) {
            try ADDecoder.objectGUID(Data(repeating: 0x41, count: count))
        }
        #expect(error?.attribute == "objectGUID")
        #expect(error?.reason.contains("expected 16") == true)
    }

    @Test func notAUUID() {
        #expect(throws: AttributeDecodeError.self) {
            try ADDecoder.objectGUID(utf8("4f8b06d5-2a31-4348-b82c-305c2b9c0eZZ"))
        }
    }

    @Test func consistencyGuid() throws {
        #expect(try ADDecoder.consistencyGuid(hex("d5068b4f312a4843b82c305c2b9c0e44")) == hex("d5068b4f312a4843b82c305c2b9c0e44"))
        let error = #expect(throws: AttributeDecodeError.self) { try ADDecoder.consistencyGuid(hex("d5068b4f")) }
        #expect(error?.description == "mS-DS-ConsistencyGuid: 4 bytes, expected 16")
        #expect(throws: AttributeDecodeError.self) { try ADDecoder.consistencyGuid(Data()) }
    }
}

@Suite("objectSid")
struct SIDTests {
    static let domainUser = "01 05 000000000005 15000000 c7f7fed7 7c7755c8 945ace01 f5030000"

    @Test func realShapedDomainSID() throws {
        #expect(try ADDecoder.objectSid(hex(Self.domainUser)) == "S-1-5-21-3623811015-3361044348-30300820-1013")
    }

    @Test(arguments: [
        ("01 01 000000000005 12000000", "S-1-5-18"),                    // LocalSystem
        ("01 02 000000000005 20000000 20020000", "S-1-5-32-544"),       // BUILTIN\Administrators
        ("01 01 000000000001 00000000", "S-1-1-0"),                     // Everyone
        ("01 00 000000000005", "S-1-5"),
        ("01 01 010000000000 ffffffff", "S-1-0x010000000000-4294967295"), // authority >= 2^32 is hex
    ])
    func wellKnown(bytes: String, text: String) throws {
        #expect(try ADDecoder.objectSid(hex(bytes)) == text)
        #expect(try SecurityIdentifier(string: text).bytes == [UInt8](hex(bytes)))
    }

    @Test func textFormIsAccepted() throws {
        #expect(try ADDecoder.objectSid(utf8("S-1-5-21-3623811015-3361044348-30300820-1013")) == "S-1-5-21-3623811015-3361044348-30300820-1013")
    }

    @Test func roundTrip() throws {
        let sid = try SecurityIdentifier(string: "S-1-5-21-3623811015-3361044348-30300820-1013")
        #expect(Data(sid.bytes) == hex(Self.domainUser))
    }

    @Test(arguments: [
        ("", "0 bytes, expected at least 8"),
        ("01 05 000000000005 15000000 c7f7fe", "15 bytes, expected 28 for 5 sub-authorities"), // truncated
        ("01 05 000000", "5 bytes, expected at least 8"),
        ("01 05 000000000005 15000000", "12 bytes, expected 28 for 5 sub-authorities"),
        ("01 01 000000000005 12000000 00", "13 bytes, expected 12 for 1 sub-authority"),
        ("02 01 000000000005 12000000", "revision 2, expected 1"),
        ("01 10 000000000005", "16 sub-authorities, at most 15"),
    ])
    func malformed(bytes: String, reason: String) {
        let error = #expect(throws: AttributeDecodeError.self) { try ADDecoder.objectSid(hex(bytes)) }
        #expect(error?.attribute == "objectSid")
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func sevenBytesNote() {
        let error = #expect(throws: AttributeDecodeError.self) { try ADDecoder.objectSid(hex("01 05 0000000000")) }
        #expect(error?.description == "objectSid: 7 bytes, expected at least 8")
    }

    @Test(arguments: ["S-1", "S-2-5-21", "S-1-5-x", "S-1-5-4294967296", "X-1-5-21", "S-1-281474976710656-1", "S-1-5--1", "S-1-+5-21", "S-1-0x+5-21", "S-1-5-+21"])
    func malformedText(text: String) {
        #expect(throws: AttributeDecodeError.self) { try SecurityIdentifier(string: text) }
    }
}
