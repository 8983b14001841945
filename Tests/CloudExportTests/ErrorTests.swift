import Foundation
import SyncAudit
import Testing
@testable import CloudExport

@Suite("Exports that cannot be read right are refused clearly")
struct ErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var kind: CloudExportError.Kind
        var line: Int?
        /// Texts the message must hold (what is wrong and the fix).
        var says: [String]
        var timeZone = true
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        Case(file: "errors/truncated.json", kind: .truncated, line: 25,
             says: ["line 25, column 37 (byte 1418)", "the file ends inside a string that starts at line 25", "export was cut off"]),
        Case(file: "errors/truncated-utf16le.json", kind: .truncated, line: 30,
             says: ["line 30, column 6:", "the file ends in the middle of a UTF-16 character", "take it again"]),
        Case(file: "errors/malformed.json", kind: .malformed, line: 8,
             says: ["line 8, column 7", "expected , or } after a member of an object, found '\"'"]),
        Case(file: "errors/trailing-garbage.json", kind: .malformed, line: 70,
             says: ["line 70, column 1", "unexpected 'P' after the end of a JSON document"]),
        Case(file: "errors/empty.json", kind: .empty, line: nil, says: ["the file is empty", "Get-MgUser -All"]),
        Case(file: "errors/no-users.json", kind: .noUsers, line: nil,
             says: ["the export holds no users", "Check the file or the Get-MgUser command: Get-MgUser -All -Property"]),
        Case(file: "errors/header-only.csv", kind: .noUsers, line: nil, says: ["holds no users"]),
        Case(file: "errors/invalid-utf8.json", kind: .encoding, line: 15,
             says: ["line 15, column 46 (byte 988)", "byte 0xC3 is not valid UTF-8"]),
        Case(file: "errors/incomplete-pages.json", kind: .incompleteExport, line: nil,
             says: ["@odata.nextLink", "stops after 4 users", "Get-MgUser -All"]),
        Case(file: "errors/organization-as-cloud.json", kind: .wrongFormat, line: 1,
             says: ["Graph organization response", "--tenant"]),
        Case(file: "errors/admin-center-download.csv", kind: .adminCenterExport, line: nil,
             says: ["Entra admin center \"Download users\" CSV", "no OnPremisesImmutableId",
                    "Export the users with PowerShell instead: Get-MgUser -All -Property Id,UserPrincipalName,AccountEnabled,LastPasswordChangeDateTime,OnPremisesImmutableId"]),
        Case(file: "errors/not-an-export.csv", kind: .wrongFormat, line: 1,
             says: ["\"Name\", \"Email\", \"Department\"", "not those of a Get-MgUser or Get-MsolUser export"]),
        Case(file: "errors/ambiguous-dates.csv", kind: .ambiguousDate, line: 2,
             says: ["\"03/04/2024 10:13:20\" can be 4 March 2024 or 3 April 2024",
                    "--cloud-date-format \"MM/dd/yyyy HH:mm:ss\"", "--cloud-date-format \"dd/MM/yyyy HH:mm:ss\""]),
        Case(file: "errors/mixed-date-orders.csv", kind: .invalidDate, line: 3,
             says: ["mix day-first (\"14/11/2023 23:13:20\", line 2) and month-first (\"11/14/2023 23:13:20\", line 3)"]),
        Case(file: "errors/unterminated-quote.csv", kind: .truncated, line: 3,
             says: ["line 3, column 81 (byte 269)", "a quoted field opens here and is never closed"]),
        Case(file: "errors/text-after-quote.csv", kind: .malformed, line: 3,
             says: ["unexpected '2' after the closing quote"]),
        Case(file: "errors/wrong-field-count.csv", kind: .malformed, line: 3,
             says: ["line 3", "this row has 6 fields, the header has 4", "double quotes"]),
        Case(file: "errors/plain-text.txt", kind: .wrongFormat, line: 1,
             says: ["the file is neither JSON (it does not start with { or [) nor a CSV"]),
        Case(file: "errors/duplicate-header.csv", kind: .malformed, line: 1,
             says: ["names column \"userPrincipalName\" twice (columns 2 and 4)"]),
        Case(file: "valid/mg-csv-en-us.csv", kind: .missingTimeZone, line: 3,
             says: ["LastPasswordChangeDateTime \"11/14/2023 11:13:20 PM\" has no time zone", "--cloud-timezone"],
             timeZone: false),
        Case(file: "valid/msol-csv-en-us.csv", kind: .missingTimeZone, line: 3, says: ["--cloud-timezone"], timeZone: false),
    ]

    @Test(arguments: cases)
    func refused(_ c: Case) {
        let path = Fixture.path(c.file)
        do {
            _ = try CloudExportReader.readAll(path: path, options: CloudReadOptions(timeZone: c.timeZone ? amsterdam : nil))
            Issue.record("\(c.file) was read without an error")
        } catch {
            #expect(error.kind == c.kind, "\(error)")
            #expect(error.line == c.line, "\(error)")
            #expect(error.file == path)
            let text = error.description
            #expect(text.hasPrefix(path + ":"), "\(text)")
            for phrase in c.says {
                #expect(text.contains(phrase), "\(text) should say \(phrase)")
            }
        }
    }

    @Test func aMissingFileIsNamed() {
        let error = #expect(throws: CloudExportError.self) {
            try CloudExportReader.readAll(path: "/nonexistent/users.json")
        }
        #expect(error?.kind == .unreadableFile)
        #expect(error?.description == "/nonexistent/users.json: cannot open the file: No such file or directory. Check the path given with --cloud.")
    }

    @Test func forcedFormatThatDoesNotFit() {
        let json = Fixture.path("valid/graph-response.json")
        let csv = Fixture.path("valid/mg-csv-en-us.csv")
        let msol = Fixture.path("valid/msol-csv-en-us.csv")
        for (path, format, phrase) in [
            (json, CloudFormat.mgCSV, "--cloud-format mg-csv was given, but the file is JSON"),
            (csv, .graphJSON, "--cloud-format graph-json was given, but the file does not start with { or ["),
            (csv, .msolCSV, "--cloud-format msol-csv was given, but the columns are those of Get-MgUser"),
            (msol, .mgCSV, "--cloud-format mg-csv was given, but the columns are those of Get-MsolUser"),
        ] {
            do {
                _ = try CloudExportReader.readAll(path: path, options: CloudReadOptions(format: format, timeZone: amsterdam))
                Issue.record("\(path) read as \(format)")
            } catch {
                #expect(error.kind == .wrongFormat)
                #expect(error.description.contains(phrase), "\(error)")
            }
        }
    }

    @Test(arguments: [
        ("", CloudExportError.Kind.empty),
        ("  \r\n\t ", .empty),
        ("\u{FEFF}", .empty),
        ("{}", .wrongFormat),
        ("[1,2]", .wrongFormat),
        ("{\"value\":[1]}", .wrongFormat),
        ("\"users\"", .wrongFormat),
        ("{\"id\":\"1\",}", .malformed),
        ("[{\"id\":\"1\"},]", .malformed),
        ("{\"id\":\"1\" \"upn\":2}", .malformed),
        ("{\"id\":1}", .invalidValue),
        ("{\"id\":\"1\",\"accountEnabled\":\"yes\"}", .invalidValue),
        ("{\"id\":\"1\",\"accountEnabled\":tru}", .malformed),
        ("{\"id\":\"1\",\"x\":01}", .malformed),
        ("{\"id\":\"1\",\"x\":1.}", .malformed),
        ("{\"id\":\"1\",\"x\":\"a\u{01}b\"}", .malformed),
        ("{\"id\":\"1\",\"x\":\"a\\qb\"}", .malformed),
        ("{\"id\":\"1\",\"x\":\"\\ud800\"}", .malformed),
        ("{\"id\":\"1\",\"lastPasswordChangeDateTime\":\"yesterday\"}", .invalidDate),
        ("{\"id\":\"1\",\"lastPasswordChangeDateTime\":\"2023-02-30T00:00:00Z\"}", .invalidDate),
        ("{\"id\":\"1\"", .truncated),
        ("[{\"id\":\"1\"}", .truncated),
        ("{\"id\":\"1\"} x", .malformed),
        ("{\"id\":\"1\",\"verifiedDomains\":[]}", .wrongFormat),
        ("{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#groups\",\"value\":[]}", .wrongFormat),
        ("{\"displayName\":\"x\"}", .wrongFormat),
    ])
    func badJSON(_ text: String, _ kind: CloudExportError.Kind) {
        let error = readError(text, name: "users.json")
        #expect(error?.kind == kind, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("users.json") == true)
    }

    @Test func deepNestingIsRefusedNotCrashed() {
        let text = "{\"id\":\"1\",\"x\":" + String(repeating: "[", count: 100_000)
        #expect(readError(text)?.kind == .malformed)
    }

    @Test func invalidUTF16IsRefused() {
        // A lone low surrogate is invalid; an odd byte count is a file cut off.
        #expect(readError([0xFF, 0xFE, 0x7B, 0x00, 0x00, 0xDC, 0x7D, 0x00])?.kind == .encoding)
        #expect(readError([0xFF, 0xFE, 0x7B, 0x00, 0x7D])?.kind == .truncated)
    }

    @Test func utf32IsRefused() {
        #expect(readError([0xFF, 0xFE, 0x00, 0x00, 0x7B, 0, 0, 0])?.kind == .encoding)
    }

    @Test func stdinIsNamedAsStandardInput() {
        let error = CloudExportError(.truncated, "-", at: SourcePosition(line: 2, column: 3, byteOffset: 9), "the file ends here")
        #expect(error.description == "standard input: line 2, column 3 (byte 9): the file ends here.")
    }

    @Test func badOptionsNameTheOption() {
        #expect(throws: CloudExportError.self) { try CloudReadOptions(format: "xml", timeZone: nil, dateFormat: nil) }
        do {
            _ = try CloudReadOptions(format: nil, timeZone: "Europe/Amsterdm", dateFormat: nil)
            Issue.record("accepted a bad zone")
        } catch {
            #expect(error.description.hasPrefix("--cloud-timezone: \"Europe/Amsterdm\" is not a time zone"))
        }
        do {
            _ = try CloudReadOptions(format: nil, timeZone: nil, dateFormat: "dd MMMM yyyy")
            Issue.record("accepted a month name")
        } catch {
            #expect(error.kind == .invalidOption)
            #expect(error.description.hasPrefix("--cloud-date-format:"))
        }
    }

    @Test func csvDateNotMatchingTheGivenPattern() throws {
        let options = try CloudReadOptions(format: nil, timeZone: "UTC", dateFormat: "dd-MM-yyyy HH:mm:ss")
        let error = readError(Fixture.bytes("valid/mg-csv-en-us.csv"), name: "users.csv", options: options)
        #expect(error?.kind == .invalidDate)
        #expect(error?.description.contains("does not match --cloud-date-format \"dd-MM-yyyy HH:mm:ss\"") == true)
    }

    @Test("a local time in the hour the clocks went back keeps both readings, the earlier first")
    func aLocalTimeThatHappenedTwiceKeepsBothReadings() throws {
        let csv = "\"Id\",\"UserPrincipalName\",\"LastPasswordChangeDateTime\",\"OnPremisesImmutableId\"\n"
            + "\"1\",\"a@contoso.com\",\"2024-10-27 02:30:00\",\"x\"\n"
            + "\"2\",\"b@contoso.com\",\"2024-10-27 03:30:00\",\"y\"\n"
        let (users, _) = try readUsers(csv, name: "users.csv", options: CloudReadOptions(timeZone: amsterdam))
        #expect(users[0].lastPasswordChangeDateTime == Timestamp.parse("2024-10-27T00:30:00Z"))
        #expect(users[0].lastPasswordChangeLaterReading == Timestamp.parse("2024-10-27T01:30:00Z"))
        #expect(users[1].lastPasswordChangeDateTime == Timestamp.parse("2024-10-27T02:30:00Z"))
        #expect(users[1].lastPasswordChangeLaterReading == nil)
    }

    @Test("Windows time zone names are read as their IANA zone, in any case")
    func windowsZoneNames() throws {
        for (windows, iana) in [("W. Europe Standard Time", "Europe/Berlin"), ("eastern standard time", "America/New_York"),
                                ("Tokyo Standard Time", "Asia/Tokyo")] {
            #expect(CloudReadOptions.timeZone(named: windows)?.identifier == iana, "\(windows)")
        }
        #expect(CloudReadOptions.timeZone(named: "Mars Standard Time") == nil)
    }
}

@Suite("Cut and damaged files")
struct DamageTests {
    /// A single response cut anywhere is refused as cut off (or as empty), never read short.
    @Test(arguments: ["valid/graph-response.json", "valid/ps51-convertto-json-utf16le.json", "valid/graph-response-utf16be.json"])
    func everyPrefixOfAResponseIsRefused(_ file: String) {
        let bytes = Fixture.bytes(file)
        // The document is complete once its last bracket is in; only the line break follows.
        let complete = (bytes.lastIndex { ![0x00, 0x0A, 0x0D, 0x20].contains($0) } ?? 0) + 1
        for length in stride(from: 0, to: complete - 1, by: 3) {
            let error = readError(Array(bytes[0..<length]), name: "cut.json")
            #expect(error?.kind == .truncated || error?.kind == .empty, "length \(length): \(String(describing: error))")
        }
    }

    /// Any byte changed: an error or a reading, never a crash.
    @Test(arguments: ["valid/graph-pages.json", "valid/mg-csv-en-us.csv", "valid/ps51-convertto-json-utf16le.json"])
    func damagedBytesNeverCrash(_ file: String) {
        var rng = SystemRandomNumberGenerator()
        let original = Fixture.bytes(file)
        let options = CloudReadOptions(timeZone: amsterdam)
        for _ in 0..<400 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            do {
                _ = try readUsers(bytes, name: "damaged", options: options)
            } catch is CloudExportError {
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }
}

@Suite("Reader internals")
struct ReaderInternalsTests {
    @Test("Graph JSON keys name the same user fields, in the same order")
    func keysFollowFields() {
        for field in CloudUserField.allCases {
            let key = GraphJSONReader.Key(rawValue: field.index)
            #expect(key?.field == field && "\(key!)" == field.rawValue)
        }
    }
}
