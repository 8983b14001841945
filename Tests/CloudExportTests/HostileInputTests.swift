import Foundation
import Testing
@testable import CloudExport

/// Inputs that used to be read "successfully" with data silently lost or picked at random.
@Suite("Hostile and damaged exports")
struct HostileInputTests {
    static let options = CloudReadOptions(timeZone: amsterdam)
    static let csv = Fixture.bytes("valid/mg-csv-en-us.csv")

    @Test("A second byte order mark before the header (a file saved twice) loses no column")
    func bomInsideHeader() throws {
        let (reference, _) = try readUsers(Self.csv, name: "users.csv", options: Self.options)
        // After the #TYPE line, before the header's first quote; and before a later column.
        let text = String(decoding: Self.csv, as: UTF8.self)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        var damaged = lines
        damaged[1] = "\u{FEFF}" + damaged[1].replacingOccurrences(of: ",\"Id\",", with: ",\u{FEFF}\"Id\",")
        let (users, summary) = try readUsers(Array(damaged.joined(separator: "\r\n").utf8), name: "users.csv", options: Self.options)
        #expect(users == reference)
        #expect(summary.fieldsPresent.contains(.id))
    }

    @Test("A NUL inside a CSV field is refused with its line, quoted or not")
    func nulInCSV() throws {
        var text = String(decoding: Self.csv, as: UTF8.self)
        text = text.replacingOccurrences(of: "Alice Martin", with: "Alice\u{0}Martin")
        let quoted = try #require(readError(Array(text.utf8), name: "users.csv", options: Self.options))
        #expect(quoted.kind == .encoding)
        #expect(quoted.description.contains("NUL"))
        #expect(quoted.description.contains("line 3"))
        let unquoted = try #require(readError(Array("Id,UserPrincipalName,LastPasswordChangeDateTime\r\n1,a\u{0}b@c.d,2024-01-01T00:00:00Z\r\n".utf8),
                                              name: "users.csv", options: Self.options))
        #expect(unquoted.description.contains("NUL"))
    }

    @Test("A key given twice in one JSON object is refused, whatever its letter case", arguments: [
        #"{"value":[{"id":"1","userPrincipalName":"a@b.c","lastPasswordChangeDateTime":"2024-01-01T00:00:00Z","lastPasswordChangeDateTime":"2020-01-01T00:00:00Z"}]}"#,
        #"[{"Id":"1","UserPrincipalName":"a@b.c","LastPasswordChangeDateTime":"2024-01-01T00:00:00Z","onPremisesImmutableId":"x","OnPremisesImmutableId":"y"}]"#,
    ])
    func duplicateKeys(json: String) throws {
        let error = try #require(readError(json))
        #expect(error.kind == .malformed)
        #expect(error.description.contains("appears twice"))
    }
}
