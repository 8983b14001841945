import Foundation
import SyncAudit
import Testing
@testable import CloudExport

@Suite("Every format and encoding reads to the same users")
struct FormatTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var format: CloudFormat
        var encoding: String
        var variant: String
        var timeZone: Bool = false
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        Case(file: "valid/graph-response.json", format: .graphJSON, encoding: "UTF-8", variant: "Graph /users response"),
        Case(file: "valid/graph-pages.json", format: .graphJSON, encoding: "UTF-8",
             variant: "Graph /users response (2 pages one after another)"),
        Case(file: "valid/graph-pages-array.json", format: .graphJSON, encoding: "UTF-8",
             variant: "Graph /users response (2 pages in a JSON array)"),
        Case(file: "valid/graph-bare-array.json", format: .graphJSON, encoding: "UTF-8", variant: "JSON array of users"),
        Case(file: "valid/graph-users.jsonl", format: .graphJSON, encoding: "UTF-8", variant: "JSON Lines (one user per line)"),
        Case(file: "valid/graph-response-utf8bom.json", format: .graphJSON, encoding: "UTF-8 with BOM",
             variant: "Graph /users response"),
        Case(file: "valid/graph-response-utf16be.json", format: .graphJSON, encoding: "UTF-16BE",
             variant: "Graph /users response"),
        Case(file: "valid/ps7-convertto-json.json", format: .graphJSON, encoding: "UTF-8",
             variant: "PowerShell ConvertTo-Json (array of users)"),
        Case(file: "valid/ps51-convertto-json.json", format: .graphJSON, encoding: "UTF-8",
             variant: "PowerShell ConvertTo-Json (array of users), Windows PowerShell 5.1 \\/Date()\\/ dates"),
        Case(file: "valid/ps51-convertto-json-utf16le.json", format: .graphJSON, encoding: "UTF-16LE",
             variant: "PowerShell ConvertTo-Json (array of users), Windows PowerShell 5.1 \\/Date()\\/ dates"),
        Case(file: "valid/mg-csv-en-us.csv", format: .mgCSV, encoding: "UTF-8",
             variant: "Get-MgUser Export-Csv (#TYPE line, dates MM/dd/yyyy in Europe/Amsterdam)", timeZone: true),
        Case(file: "valid/mg-csv-nl-nl-semicolon.csv", format: .mgCSV, encoding: "UTF-8 with BOM",
             variant: "Get-MgUser Export-Csv (delimiter ';', dates dd/MM/yyyy in Europe/Amsterdam)", timeZone: true),
        Case(file: "valid/mg-csv-sv-se-utf16le.csv", format: .mgCSV, encoding: "UTF-16LE",
             variant: "Get-MgUser Export-Csv (dates yyyy-MM-dd in Europe/Amsterdam)", timeZone: true),
    ]

    @Test(arguments: cases)
    func readsTheSameUsers(_ c: Case) throws {
        let options = CloudReadOptions(timeZone: c.timeZone ? amsterdam : nil)
        let (users, summary) = try CloudExportReader.readAll(path: Fixture.path(c.file), options: options)
        #expect(users == Expected.users)
        #expect(summary.format == c.format)
        #expect(summary.encoding == c.encoding)
        #expect(summary.variant == c.variant)
        #expect(summary.users == 4)
        #expect(summary.newestTimestamp == Expected.date("2024-07-01T08:30:00Z"))
        #expect(summary.missingKeyFields.isEmpty)
    }

    @Test(arguments: cases)
    func forcedFormatReadsTheSame(_ c: Case) throws {
        let options = CloudReadOptions(format: c.format, timeZone: c.timeZone ? amsterdam : nil)
        let (users, _) = try CloudExportReader.readAll(path: Fixture.path(c.file), options: options)
        #expect(users == Expected.users)
    }

    /// Standard input cannot be rewound and arrives in small reads: split characters, split
    /// UTF-16 code units and a CSV that must be read twice all come out the same.
    @Test(arguments: cases, [1, 3, 7, 4096])
    func readsFromATrickle(_ c: Case, step: Int) throws {
        let stream = RecordingStream(TrickleStream(Fixture.bytes(c.file), step: step))
        var users: [CloudUser] = []
        let summary = try CloudExportReader.read(stream: stream, name: "-",
                                                 options: CloudReadOptions(timeZone: c.timeZone ? amsterdam : nil)) {
            users.append($0)
        }
        #expect(users == Expected.users)
        #expect(summary.format == c.format)
    }

    @Test func msolCSV() throws {
        let (users, summary) = try CloudExportReader.readAll(
            path: Fixture.path("valid/msol-csv-en-us.csv"), options: CloudReadOptions(timeZone: amsterdam))
        #expect(users == Expected.msolUsers)
        #expect(summary.format == .msolCSV)
        #expect(summary.variant == "Get-MsolUser Export-Csv (#TYPE line, dates MM/dd/yyyy in Europe/Amsterdam)")
        let forced = try CloudExportReader.readAll(
            path: Fixture.path("valid/msol-csv-en-us.csv"), options: CloudReadOptions(format: .msolCSV, timeZone: amsterdam))
        #expect(forced.users == Expected.msolUsers)
    }

    @Test func aDatePatternReadsTheCulture() throws {
        let options = try CloudReadOptions(format: nil, timeZone: "Europe/Amsterdam", dateFormat: "d-M-yyyy HH:mm:ss")
        let (users, summary) = try CloudExportReader.readAll(path: Fixture.path("valid/mg-csv-nl-nl-semicolon.csv"),
                                                             options: options)
        #expect(users == Expected.users)
        #expect(summary.dateFormat == "d-M-yyyy HH:mm:ss")
    }

    @Test func csvFieldsWithQuotesCommasAndLineBreaksAreOneField() throws {
        // Dave's AboutMe spans two lines; the next record must still be read from the right line.
        let text = Fixture.bytes("valid/mg-csv-en-us.csv") + Array("\"x\",\"True\"\r\n".utf8)
        let error = readError(text, name: "users.csv", options: CloudReadOptions(timeZone: amsterdam))
        #expect(error?.kind == .malformed)
        #expect(error?.line == 8)
    }

    @Test func fieldsPresentTellWhatWasExported() throws {
        let (_, summary) = try readUsers(#"{"value":[{"id":"1","userPrincipalName":"a@b.c","accountEnabled":true}]}"#)
        #expect(summary.fieldsPresent == [.id, .userPrincipalName, .accountEnabled])
        #expect(summary.missingKeyFields == [.lastPasswordChangeDateTime, .onPremisesImmutableId, .onPremisesSyncEnabled])
        // The two the comparison can do without are warnings for the report; the third is refused below.
        #expect(summary.warnings.map(\.code) == [.exportFieldMissing, .exportFieldMissing])
        #expect(summary.warnings.map(\.message).allSatisfy { $0.contains("Get-MgUser -All -Property") })
        #expect(summary.newestTimestamp == nil)
        let error = #expect(throws: CloudExportError.self) { try summary.requirePasswordTimes() }
        #expect(error?.kind == .missingField)
        #expect(error?.description.hasPrefix("test.json: none of the 1 users has lastPasswordChangeDateTime, so no password can be checked") == true)
        let (_, complete) = try CloudExportReader.readAll(path: Fixture.path("valid/graph-response.json"))
        try complete.requirePasswordTimes()
    }
}

@Suite("Graph JSON details")
struct GraphJSONTests {
    @Test func provisioningErrorsAreDescribed() throws {
        let json = #"""
        {"value":[{"id":"1","userPrincipalName":"a@contoso.com","onPremisesProvisioningErrors":[
          {"category":"PropertyConflict","occurredDateTime":"2024-01-02T03:04:05Z","propertyCausingError":"UserPrincipalName","value":"a@contoso.com"},
          {"category":"UnknownError","occurredDateTime":null,"propertyCausingError":null,"value":"Sync failed"}]}]}
        """#
        let (users, _) = try readUsers(json)
        #expect(users.first?.onPremisesProvisioningErrors == [
            "PropertyConflict: UserPrincipalName = a@contoso.com", "UnknownError: Sync failed",
        ])
    }

    @Test func provisioningErrorsCutOffByPowerShellDepthStillCount() throws {
        let json = #"""
        [{"Id":"1","UserPrincipalName":"a@contoso.com","OnPremisesProvisioningErrors":["Microsoft.Graph.PowerShell.Models.MicrosoftGraphOnPremisesProvisioningError"]}]
        """#
        let (users, _) = try readUsers(json)
        #expect(users.first?.onPremisesProvisioningErrors.count == 1)
    }

    @Test func keysMatchIgnoringCaseAndUnknownKeysAreSkipped() throws {
        let json = #"""
        {"ID":"1","USERPRINCIPALNAME":"a@contoso.com","onpremisesimmutableid":"x","manager":{"id":"2","value":[1,2,{"a":[]}]},
         "assignedLicenses":[{"skuId":"s","disabledPlans":[]}],"extra":-1.5e3,"flag":false,"nothing":null}
        """#
        let (users, _) = try readUsers(json)
        #expect(users == [CloudUser(id: "1", userPrincipalName: "a@contoso.com", onPremisesImmutableId: "x")])
    }

    @Test func escapesAreUnescaped() throws {
        let json = #"{"id":"1","userPrincipalName":"a\u00e9\ud83d\ude00\"\\\/\t@x","onPremisesDistinguishedName":"CN=Doe\\, J"}"#
        let (users, _) = try readUsers(json)
        #expect(users.first?.userPrincipalName == "aé😀\"\\/\t@x")
        #expect(users.first?.onPremisesDistinguishedName == "CN=Doe\\, J")
    }

    @Test func fractionalSecondsAndOffsetsAreExact() throws {
        let json = #"""
        {"id":"1","lastPasswordChangeDateTime":"2023-11-14T22:13:20.1234567Z","onPremisesLastSyncDateTime":"2023-11-14T17:13:20-05:00"}
        """#
        let (users, _) = try readUsers(json)
        let d = try #require(users.first?.lastPasswordChangeDateTime)
        #expect(abs(d.timeIntervalSince1970 - 1_700_000_000.1234567) < 1e-6)
        #expect(users.first?.onPremisesLastSyncDateTime == Expected.date("2023-11-14T22:13:20Z"))
    }

    @Test func windowsPowerShellDatesIgnoreTheirOffset() throws {
        let json = #"{"Id":"1","LastPasswordChangeDateTime":"\/Date(1700000000000+0100)\/","OnPremisesLastSyncDateTime":"\/Date(-1000)\/"}"#
        let (users, _) = try readUsers(json)
        #expect(users.first?.lastPasswordChangeDateTime == Expected.date("2023-11-14T22:13:20Z"))
        #expect(users.first?.onPremisesLastSyncDateTime == Date(timeIntervalSince1970: -1))
    }

    @Test func isoDatesWithoutAZoneNeedTheTimeZone() throws {
        let json = #"{"Id":"1","LastPasswordChangeDateTime":"2023-11-14T23:13:20"}"#
        #expect(readError(json)?.kind == .missingTimeZone)
        let (users, _) = try readUsers(json, options: CloudReadOptions(timeZone: amsterdam))
        #expect(users.first?.lastPasswordChangeDateTime == Expected.date("2023-11-14T22:13:20Z"))
    }

    @Test func aSinglePowerShellObject() throws {
        let (users, summary) = try readUsers(#"{"Id":"1","UserPrincipalName":"a@contoso.com"}"#)
        #expect(users.count == 1)
        #expect(summary.variant == "PowerShell ConvertTo-Json (one user)")
    }

    @Test func oneLargeResponseIsStreamedAcrossSmallBuffers() throws {
        var text = #"{"@odata.context":"x#users","value":["#
        for i in 0..<2000 {
            if i > 0 { text += ",\n" }
            text += #"{"id":"\#(i)","userPrincipalName":"user\#(i)@contoso.com","lastPasswordChangeDateTime":"2024-01-01T00:00:00Z","onPremisesDistinguishedName":"CN=U\#(i)\u00e9,DC=x"}"#
        }
        text += "]}"
        for step in [1, 5, 64, 100_000] {
            let stream = TrickleStream(Array(text.utf8), step: step)
            var count = 0
            let summary = try CloudExportReader.read(stream: stream, name: "big.json", options: .init()) { user in
                #expect(user.onPremisesDistinguishedName == "CN=U\(count)é,DC=x")
                count += 1
            }
            #expect(count == 2000)
            #expect(summary.users == 2000)
        }
    }
}

@Suite("Dump lines")
struct DumpTests {
    @Test func jsonLinesReadBackToTheSameUsers() throws {
        var withError = Expected.dave
        withError.onPremisesProvisioningErrors = ["PropertyConflict: ProxyAddresses = smtp:\"d\"@x\n"]
        let users = Expected.users + [withError]
        let text = users.map(CloudExportReader.jsonLine).joined(separator: "\n")
        let (read, summary) = try readUsers(text)
        #expect(read == users)
        #expect(summary.variant == "JSON Lines (one user per line)")
    }

    @Test func carolAsALine() {
        #expect(CloudExportReader.jsonLine(Expected.carol) == #"{"id":"9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a","userPrincipalName":"carol@contoso.onmicrosoft.com","accountEnabled":true,"lastPasswordChangeDateTime":"2024-03-04T05:06:07Z","onPremisesImmutableId":null,"onPremisesSyncEnabled":null,"onPremisesLastSyncDateTime":null,"onPremisesSecurityIdentifier":null,"onPremisesSamAccountName":null,"onPremisesUserPrincipalName":null,"onPremisesDistinguishedName":null,"onPremisesDomainName":null,"passwordPolicies":null,"onPremisesProvisioningErrors":[]}"#)
    }

    @Test func groupMembersThatAreNotUsersAreSkipped() throws {
        let json = #"""
        {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects","value":[
          {"@odata.type":"#microsoft.graph.user","id":"1","userPrincipalName":"a@contoso.com"},
          {"@odata.type":"#microsoft.graph.group","id":"2","displayName":"Finance"},
          {"@odata.type":"#microsoft.graph.device","id":"3"}]}
        """#
        let (users, summary) = try readUsers(json)
        #expect(users.map(\.id) == ["1"])
        #expect(summary.variant == "Graph /users response, 2 objects that are not users skipped")
    }
}

@Suite("Pipes")
struct PipeTests {
    /// `--cloud <(cat users.csv)` or a FIFO: not rewindable, yet a CSV must be read twice.
    @Test(arguments: ["valid/mg-csv-en-us.csv", "valid/graph-pages.json"])
    func aFIFOIsReadLikeAFile(_ file: String) throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("cloud-\(UUID().uuidString)").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let bytes = Fixture.bytes(file)
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        writer.start()
        let (users, _) = try CloudExportReader.readAll(path: fifo, options: CloudReadOptions(timeZone: amsterdam))
        #expect(users == Expected.users)
    }
}
