import Foundation
import SyncAudit
import Testing
@testable import ActiveDirectory

/// Replays every input `FuzzADDecoders` kept (`Fuzz/Regressions/FuzzADDecoders/`, see
/// scripts/fuzz.sh): the first byte picks the decoder as the target's `Decoder` does, the rest
/// is the value. Each decoder must give a value or an `AttributeDecodeError` naming its
/// attribute, and every time it gives must survive the snapshot (`Timestamp.format` → `parse`).
@Suite("Fuzz regressions: AD decoders")
struct ADFuzzRegressionTests {
    /// `Decoder` of Fuzz/Sources/FuzzADDecoders/FuzzADDecoders.swift, in its order: keep the two in step.
    enum Decoder: UInt8, CaseIterable {
        case integer, fileTime, pwdLastSet, accountExpires, userAccountControl, objectGUID, consistencyGuid,
             objectSid, sidText, replPropertyMetaData, generalizedTime, distinguishedName, dnPair, text
    }

    static func inputs() -> [(name: String, bytes: [UInt8])] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions/FuzzADDecoders")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            Issue.record("no folder \(folder.path)")
            return []
        }
        return names.filter { !$0.hasPrefix(".") }.sorted().map { name in
            (name, Array(FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) ?? Data()))
        }
    }

    /// The time can be written into a snapshot and read back.
    func carried(_ date: Date?, _ name: String) {
        guard let date else { return }
        let written = Timestamp.format(date)
        let back = Timestamp.parse(written)
        #expect(back.map { abs($0.timeIntervalSince(date)) <= 0.0005 } == true, "\(name): \(date) is written as \(written)")
    }

    /// The decoded value, or nil after checking the error names `attribute`.
    func decoded<T>(_ attribute: String, _ name: String, _ decode: () throws(AttributeDecodeError) -> T) -> T? {
        do {
            return try decode()
        } catch {
            #expect(error.attribute == attribute && !error.reason.isEmpty, "\(name): \(error)")
            return nil
        }
    }

    @Test func everyKeptInputDecodesCleanly() {
        for (name, input) in Self.inputs() {
            let value = Data(input.dropFirst())
            let text = String(decoding: value, as: UTF8.self)
            switch Decoder(rawValue: (input.first ?? 0) % UInt8(Decoder.allCases.count))! {
            case .integer: _ = decoded("n", name) { () throws(AttributeDecodeError) in try ADDecoder.integer(text, attribute: "n") }
            case .fileTime:
                carried(decoded("lastLogon", name) { () throws(AttributeDecodeError) in try ADDecoder.fileTime(text, attribute: "lastLogon") }, name)
            case .pwdLastSet:
                carried(decoded("pwdLastSet", name) { () throws(AttributeDecodeError) in try ADDecoder.pwdLastSet(text) }?.date, name)
            case .accountExpires:
                carried(decoded("accountExpires", name) { () throws(AttributeDecodeError) in try ADDecoder.accountExpires(text) } ?? nil, name)
            case .userAccountControl:
                _ = decoded("userAccountControl", name) { () throws(AttributeDecodeError) in try ADDecoder.userAccountControl(text) }
            case .objectGUID:
                if let guid = decoded("objectGUID", name, { () throws(AttributeDecodeError) in try ADDecoder.objectGUID(value) }) {
                    #expect(ObjectGUID(uuidString: guid.uuidString) == guid, "\(name)")
                }
            case .consistencyGuid:
                _ = decoded("mS-DS-ConsistencyGuid", name) { () throws(AttributeDecodeError) in try ADDecoder.consistencyGuid(value) }
            case .objectSid:
                if let sid = decoded("objectSid", name, { () throws(AttributeDecodeError) in try ADDecoder.objectSid(value) }) {
                    #expect((try? SecurityIdentifier(string: sid))?.description == sid, "\(name)")
                }
            case .sidText:
                if let sid = decoded("objectSid", name, { () throws(AttributeDecodeError) in try SecurityIdentifier(string: text) }) {
                    #expect((try? SecurityIdentifier(bytes: sid.bytes)) == sid, "\(name)")
                }
            case .replPropertyMetaData:
                if let meta = decoded("replPropertyMetaData", name, { () throws(AttributeDecodeError) in try ADDecoder.replPropertyMetaData(value) }) {
                    carried(meta.unicodePwdLastChanged, name)
                    carried(meta.pwdLastSetLastChanged, name)
                }
            case .generalizedTime:
                carried(decoded("whenChanged", name) { () throws(AttributeDecodeError) in
                    try ADDecoder.generalizedTime(text, attribute: "whenChanged")
                }, name)
            case .distinguishedName, .dnPair:
                for part in text.split(separator: "\n", omittingEmptySubsequences: false) {
                    if let dn = DistinguishedName(String(part)) { #expect(dn.isWithin(dn), "\(name)") }
                }
            case .text:
                _ = decoded("cn", name) { () throws(AttributeDecodeError) in try ADDecoder.text(value, attribute: "cn") }
            }
        }
    }
}
