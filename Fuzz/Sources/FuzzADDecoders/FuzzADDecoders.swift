// Fuzzes the AD attribute decoders (Sources/ActiveDirectory): FILETIME (`pwdLastSet`,
// `accountExpires`), decimal integers and `userAccountControl`, `objectGUID`,
// `mS-DS-ConsistencyGuid`, `objectSid` (binary and text), `replPropertyMetaData`,
// GeneralizedTime and distinguished names.
//
// Input: a selector byte (which decoder, `Decoder(rawValue: byte % count)`), then the value.
// Invariants: a value or an `AttributeDecodeError` naming the attribute; the decoders with an
// encoder round-trip (SID bytes ⇄ text, GUID bytes ⇄ uuid text ⇄ base64, replPropertyMetaData
// blob, DN → escaped text → DN); and every time decoded can be written to a snapshot and read
// back (`Timestamp.format` → `Timestamp.parse`), since `collect` writes each of them.
// Tests/ActiveDirectoryTests/FuzzRegressionTests.swift replays Fuzz/Regressions/FuzzADDecoders the same way.
import ActiveDirectory
import Foundation
import FuzzSupport
import SyncAudit

enum Decoder: UInt8, CaseIterable {
    case integer, fileTime, pwdLastSet, accountExpires, userAccountControl, objectGUID, consistencyGuid,
         objectSid, sidText, replPropertyMetaData, generalizedTime, distinguishedName, dnPair, text
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let (selector, bytes) = selector(bytes(data, size))
    let value = Data(bytes)
    let text = String(decoding: bytes, as: UTF8.self)
    switch Decoder(rawValue: selector % UInt8(Decoder.allCases.count))! {
    case .integer:
        check("n", { () throws(AttributeDecodeError) in try ADDecoder.integer(text, attribute: "n") }) { n in
            invariant(Int64(text) == n, "\(text) read as \(n)")
        }
    case .fileTime:
        check("lastLogon", { () throws(AttributeDecodeError) in try ADDecoder.fileTime(text, attribute: "lastLogon") }) { date in
            let ticks = try! ADDecoder.integer(text, attribute: "lastLogon")
            invariant(ticks >= 0 && date == FileTime.date(fromTicks: ticks), "\(text) read as \(date)")
            carried(date, text)
        }
    case .pwdLastSet:
        check("pwdLastSet", { () throws(AttributeDecodeError) in try ADDecoder.pwdLastSet(text) }) { state in
            let ticks = try! ADDecoder.integer(text, attribute: "pwdLastSet")
            switch state {
            case .absent: fatalError("invariant broken: a value read as absent")
            case .mustChange: invariant(ticks == 0, "\(text) read as must-change")
            case .set(let date, let raw):
                invariant(raw == ticks && ticks > 0, "\(text) read as \(raw)")
                carried(date, text)
            }
        }
    case .accountExpires:
        check("accountExpires", { () throws(AttributeDecodeError) in try ADDecoder.accountExpires(text) }) { date in
            let ticks = try! ADDecoder.integer(text, attribute: "accountExpires")
            invariant((date == nil) == (ticks == 0 || ticks == ADDecoder.accountNeverExpires), "\(text) read as \(String(describing: date))")
            if let date { carried(date, text) }
        }
    case .userAccountControl:
        check("userAccountControl", { () throws(AttributeDecodeError) in try ADDecoder.userAccountControl(text) }) { flags in
            let n = try! ADDecoder.integer(text, attribute: "userAccountControl")
            invariant(flags.rawValue == UInt32(truncatingIfNeeded: n), "\(text) read as \(flags.rawValue)")
        }
    case .objectGUID:
        check("objectGUID", { () throws(AttributeDecodeError) in try ADDecoder.objectGUID(value) }) { guid in
            invariant(guid.bytes.count == 16, "a GUID of \(guid.bytes.count) bytes")
            if value.count == 16 { invariant(guid.bytes == bytes, "16 bytes read as other bytes") }
            invariant(ObjectGUID(uuidString: guid.uuidString) == guid, "uuid text \(guid.uuidString) reads back otherwise")
            invariant(ObjectGUID(base64: guid.base64) == guid, "base64 \(guid.base64) reads back otherwise")
            invariant((try? ADDecoder.objectGUID(Data(guid.uuidString.utf8))) == guid, "the uuid text as a value reads otherwise")
            invariant((try? ADDecoder.objectGUID(Data("{\(guid.uuidString.uppercased())}".utf8))) == guid, "{UUID} reads otherwise")
            invariant((try? ADDecoder.objectGUID(Data(guid.base64.utf8))) == guid, "the base64 as a value reads otherwise")
        }
    case .consistencyGuid:
        check("mS-DS-ConsistencyGuid", { () throws(AttributeDecodeError) in try ADDecoder.consistencyGuid(value) }) { d in
            invariant(d == value && d.count == 16, "\(value.count) bytes accepted")
        }
    case .objectSid:
        check("objectSid", { () throws(AttributeDecodeError) in try ADDecoder.objectSid(value) }) { sidText in
            let sid = try? SecurityIdentifier(string: sidText)
            invariant(sid?.description == sidText, "\(sidText) does not read back as itself")
            if let sid, bytes.first != UInt8(ascii: "S"), bytes.first != UInt8(ascii: "s") {
                invariant(sid.bytes == bytes, "\(sidText) is not the bytes it was read from")
            }
            if let sid { sidRoundTrip(sid) }
        }
    case .sidText:
        check("objectSid", { () throws(AttributeDecodeError) in try SecurityIdentifier(string: text) }) { sid in
            sidRoundTrip(sid)
        }
    case .replPropertyMetaData:
        check("replPropertyMetaData", { () throws(AttributeDecodeError) in try ADDecoder.replPropertyMetaData(value) }) { meta in
            // The two reserved header words are read past and written as 0.
            var canonical = bytes
            for i in [4, 5, 6, 7, 12, 13, 14, 15] { canonical[i] = 0 }
            invariant(meta.blob == Data(canonical), "the blob does not encode back to the \(value.count) bytes read")
            invariant((try? ReplPropertyMetaData(blob: meta.blob)) == meta, "the blob written does not read back")
            invariant(meta.entries.count * 48 + 16 == value.count, "\(meta.entries.count) entries from \(value.count) bytes")
            // What the collector takes from it goes into the snapshot.
            if let date = meta.unicodePwdLastChanged { carried(date, "unicodePwd's originating change") }
            if let date = meta.pwdLastSetLastChanged { carried(date, "pwdLastSet's originating change") }
        }
    case .generalizedTime:
        check("whenChanged", { () throws(AttributeDecodeError) in try ADDecoder.generalizedTime(text, attribute: "whenChanged") }) { date in
            invariant(date.timeIntervalSince1970.isFinite, "\(text) read as \(date)")
            carried(date, text)
        }
    case .distinguishedName:
        guard let dn = DistinguishedName(text) else { return 0 }
        dnRoundTrip(dn)
    case .dnPair:
        let parts = bytes.split(separator: 0x0A, maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2,
              let a = DistinguishedName(String(decoding: parts[0], as: UTF8.self)),
              let b = DistinguishedName(String(decoding: parts[1], as: UTF8.self))
        else { return 0 }
        invariant((a == b) == (a.isWithin(b) && b.isWithin(a)), "== and isWithin disagree: \(a) / \(b)")
        if a == b { invariant(a.hashValue == b.hashValue, "equal DNs hash apart: \(a) / \(b)") }
        if a.isWithin(b) { invariant(a.rdns.count >= b.rdns.count, "\(a) within the longer \(b)") }
    case .text:
        check("cn", { () throws(AttributeDecodeError) in try ADDecoder.text(value, attribute: "cn") }) { s in
            invariant(Data(s.utf8) == value, "the text is not the bytes")
        }
    }
    return 0
}

/// Runs a decoder: a value (checked by `body`) or an `AttributeDecodeError` naming `attribute`.
func check<T>(_ attribute: String, _ decode: () throws(AttributeDecodeError) -> T, _ body: (T) -> Void) {
    let value: T
    do {
        value = try decode()
    } catch {
        invariant(error.attribute == attribute, "the error names \(error.attribute), not \(attribute)")
        invariant(!error.reason.isEmpty && error.description == "\(attribute): \(error.reason)", "error \(error)")
        return
    }
    body(value)
}

/// A time a decoder gives can be written into a snapshot and read back (to the millisecond
/// the snapshot keeps): `collect` writes every time it decodes, `compare` reads them.
func carried(_ date: Date, _ source: String) {
    let written = Timestamp.format(date)
    guard let back = Timestamp.parse(written) else {
        fatalError("invariant broken: \(source) decodes to a time the snapshot writes as \(written), which it cannot read")
    }
    invariant(abs(back.timeIntervalSince(date)) <= 0.0005 + 1e-9 * abs(date.timeIntervalSince1970),
              "\(source) decodes to \(date.timeIntervalSince1970), the snapshot keeps \(back.timeIntervalSince1970)")
}

func sidRoundTrip(_ sid: SecurityIdentifier) {
    invariant((try? SecurityIdentifier(bytes: sid.bytes)) == sid, "\(sid) does not survive its binary form")
    invariant((try? SecurityIdentifier(string: sid.description)) == sid, "\(sid) does not survive its text form")
    invariant((try? ADDecoder.objectSid(Data(sid.bytes))) == sid.description, "objectSid of the bytes of \(sid)")
}

/// The DN written back with every byte that is not a letter or digit escaped as `\XX` reads as
/// the same RDNs, types and values exactly.
func dnRoundTrip(_ dn: DistinguishedName) {
    let hex = Array("0123456789ABCDEF".utf8)
    func escaped(_ value: String) -> String {
        var out: [UInt8] = []
        for b in value.utf8 {
            let plain = (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
            if plain { out.append(b) } else { out += [0x5C, hex[Int(b >> 4)], hex[Int(b & 15)]] }
        }
        return String(decoding: out, as: UTF8.self)
    }
    let text = dn.rdns.map { rdn in rdn.map { "\($0.type)=\(escaped($0.value))" }.joined(separator: "+") }.joined(separator: ",")
    guard let back = DistinguishedName(text) else {
        fatalError("invariant broken: \(dn.rdns) written as \(text) is not a DN")
    }
    invariant(back.rdns == dn.rdns, "\(dn.rdns) written as \(text) reads as \(back.rdns)")
    invariant(back == dn && back.hashValue == dn.hashValue, "\(text) differs from \(dn)")
    invariant(dn.isWithin(dn), "\(dn) is not within itself")
    invariant(dn.firstValue == dn.rdns.first?.first?.value, "firstValue of \(dn)")
}

@_cdecl("FuzzADDecoders_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzerMain(argc, argv, fuzz)
}
