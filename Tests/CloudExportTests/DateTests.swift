import Foundation
import SyncAudit
import Testing
@testable import CloudExport

@Suite("Dates as the exports write them")
struct DateTests {
    @Test(arguments: [
        // en-US, nl-NL, de-DE, en-GB, sv-SE, ja-JP, ISO with a zone; the no-break space .NET 8 writes before PM.
        ("11/14/2023 10:13:20 PM", DateOrder.monthDayYear, "2023-11-14T22:13:20Z"),
        ("11/14/2023 10:13:20\u{202F}PM", .monthDayYear, "2023-11-14T22:13:20Z"),
        ("1/2/2024 12:05:00 AM", .monthDayYear, "2024-01-02T00:05:00Z"),
        ("1/2/2024 12:05:00 PM", .monthDayYear, "2024-01-02T12:05:00Z"),
        ("14-11-2023 22:13:20", .dayMonthYear, "2023-11-14T22:13:20Z"),
        ("14.11.2023 22:13:20", .dayMonthYear, "2023-11-14T22:13:20Z"),
        ("14/11/2023 22:13", .dayMonthYear, "2023-11-14T22:13:00Z"),
        ("2023-11-14 22:13:20", .yearMonthDay, "2023-11-14T22:13:20Z"),
        ("2023/11/14 22:13:20", .yearMonthDay, "2023-11-14T22:13:20Z"),
        ("14-11-2023", .dayMonthYear, "2023-11-14T00:00:00Z"),
    ])
    func cultureForms(_ text: String, _ order: DateOrder, _ utc: String) throws {
        let parsed = try #require(CultureDate.parse(text))
        #expect(parsed.possibleOrders.contains(order))
        let fields = try #require(parsed.fields(order))
        #expect(LocalTime.resolve(fields, in: TimeZone(identifier: "UTC")!) == .date(Expected.date(utc)))
    }

    @Test func zonedCultureFormsNeedNoZone() throws {
        let parsed = try #require(CultureDate.parse("2023-11-14T23:13:20+01:00"))
        #expect(parsed.fields(.yearMonthDay)?.instant == Expected.date("2023-11-14T22:13:20Z"))
        #expect(CultureDate.parse("2023-11-14 22:13:20Z")?.fields(.yearMonthDay)?.instant == Expected.date("2023-11-14T22:13:20Z"))
    }

    @Test(arguments: ["", "yesterday", "11/14", "11/14/2023 25", "11-14/2023", "2023-11-14 10:13:20 XM", "13:20"])
    func notDates(_ text: String) {
        #expect(CultureDate.parse(text) == nil)
    }

    @Test func ambiguityIsSeenPerValue() throws {
        #expect(try #require(CultureDate.parse("03/04/2024 10:00:00")).isAmbiguous)
        #expect(try #require(CultureDate.parse("04/04/2024 10:00:00")).isAmbiguous == false)
        #expect(try #require(CultureDate.parse("13/04/2024 10:00:00")).possibleOrders == [.dayMonthYear])
        #expect(try #require(CultureDate.parse("04/13/2024 10:00:00")).possibleOrders == [.monthDayYear])
    }

    @Test func daylightSavingInAmsterdam() {
        func at(_ y: Int64, _ m: Int64, _ d: Int64, _ h: Int64, _ mi: Int64) -> LocalTimeResolution {
            LocalTime.resolve(DateFields(year: y, month: m, day: d, hour: h, minute: mi), in: amsterdam)
        }
        #expect(at(2024, 1, 15, 12, 0) == .date(Expected.date("2024-01-15T11:00:00Z")))   // CET
        #expect(at(2024, 7, 15, 12, 0) == .date(Expected.date("2024-07-15T10:00:00Z")))   // CEST
        #expect(at(2024, 3, 31, 1, 59) == .date(Expected.date("2024-03-31T00:59:00Z")))
        #expect(at(2024, 3, 31, 2, 30) == .nonexistent)                                     // clocks jump 02:00 → 03:00
        #expect(at(2024, 3, 31, 3, 0) == .date(Expected.date("2024-03-31T01:00:00Z")))
        #expect(at(2024, 10, 27, 2, 30) == .ambiguous(Expected.date("2024-10-27T00:30:00Z"), Expected.date("2024-10-27T01:30:00Z")))
        #expect(at(2024, 10, 27, 3, 0) == .date(Expected.date("2024-10-27T02:00:00Z")))
        #expect(at(2024, 2, 30, 12, 0) == .invalid)
    }

    @Test func newYorkToo() {
        let ny = TimeZone(identifier: "America/New_York")!
        #expect(LocalTime.resolve(DateFields(year: 2023, month: 11, day: 14, hour: 17, minute: 13, second: 20), in: ny)
                == .date(Expected.date("2023-11-14T22:13:20Z")))
    }

    @Test(arguments: [
        ("MM/dd/yyyy HH:mm:ss", "03/04/2024 10:00:00", "2024-03-04T10:00:00Z"),
        ("dd/MM/yyyy HH:mm:ss", "03/04/2024 10:00:00", "2024-04-03T10:00:00Z"),
        ("M/d/yyyy h:mm:ss tt", "3/4/2024 1:02:03 PM", "2024-03-04T13:02:03Z"),
        ("d-M-yyyy H:mm", "4-3-2024 9:05", "2024-03-04T09:05:00Z"),
        ("dd.MM.yy HH:mm:ss", "04.03.24 10:00:00", "2024-03-04T10:00:00Z"),
        ("yyyy-MM-dd'T'HH:mm:ss.fffK", "2024-03-04T10:00:00.500+01:00", "2024-03-04T09:00:00.500Z"),
    ])
    func patterns(_ pattern: String, _ text: String, _ utc: String) throws {
        let p = try #require(DatePattern(pattern))
        let fields = try #require(p.fields(text))
        let instant = fields.instant ?? {
            guard case .date(let d) = LocalTime.resolve(fields, in: TimeZone(identifier: "UTC")!) else { return nil }
            return d
        }()
        #expect(instant == Expected.date(utc))
    }

    @Test(arguments: ["dd MMMM yyyy", "HH:mm", "dddd dd/MM/yyyy", "MM/dd/yyyy 'unterminated"])
    func unsupportedPatterns(_ pattern: String) {
        #expect(DatePattern(pattern) == nil)
    }

    @Test func patternMismatch() throws {
        let p = try #require(DatePattern("dd/MM/yyyy HH:mm:ss"))
        #expect(p.fields("11/14/2023 10:13:20") == nil)     // month 14
        #expect(p.fields("14/11/2023 10:13:20 PM") == nil)  // trailing text
    }

    @Test func jsonDates() {
        #expect(JSONDate.read("2023-11-14T22:13:20Z") == .date(Expected.date("2023-11-14T22:13:20Z")))
        #expect(JSONDate.read("2023-11-14T23:13:20+0100") == .date(Expected.date("2023-11-14T22:13:20Z")))
        #expect(JSONDate.read("/Date(1700000000000)/") == .date(Expected.date("2023-11-14T22:13:20Z")))
        #expect(JSONDate.read("/Date(1700000000000-0500)/") == .date(Expected.date("2023-11-14T22:13:20Z")))
        #expect(JSONDate.read("2023-11-14T22:13:20") == .local(DateFields(year: 2023, month: 11, day: 14, hour: 22, minute: 13, second: 20)))
        for bad in ["/Date()/", "/Date(12a)/", "/Date(1+01)/", "2023-13-01T00:00:00Z", "2023-11-14T22:13:20+25:00", "2023-11-14"] {
            #expect(JSONDate.read(bad) == .invalid, "\(bad)")
        }
    }

    @Test func timeZoneNames() {
        #expect(CloudReadOptions.timeZone(named: "Europe/Amsterdam")?.identifier == "Europe/Amsterdam")
        #expect(CloudReadOptions.timeZone(named: "UTC")?.secondsFromGMT() == 0)
        #expect(CloudReadOptions.timeZone(named: "+05:30")?.secondsFromGMT() == 19_800)
        #expect(CloudReadOptions.timeZone(named: "-0800")?.secondsFromGMT() == -28_800)
        #expect(CloudReadOptions.timeZone(named: "Mars/Olympus") == nil)
        #expect(CloudReadOptions.timeZone(named: "+25:00") == nil)
    }

    @Test func aCSVWhoseDatesAllHaveEqualDayAndMonthNeedsNoOrder() throws {
        let csv = "\"Id\",\"UserPrincipalName\",\"LastPasswordChangeDateTime\"\n\"1\",\"a@x\",\"05/05/2024 10:00:00\"\n"
        let (users, _) = try readUsers(csv, name: "users.csv", options: CloudReadOptions(timeZone: TimeZone(identifier: "UTC")))
        #expect(users.first?.lastPasswordChangeDateTime == Expected.date("2024-05-05T10:00:00Z"))
    }

    @Test func theAmbiguousFileReadsOnceTheOrderIsGiven() throws {
        let options = try CloudReadOptions(format: nil, timeZone: "UTC", dateFormat: "dd/MM/yyyy HH:mm:ss")
        let (users, _) = try CloudExportReader.readAll(path: Fixture.path("errors/ambiguous-dates.csv"), options: options)
        #expect(users.first?.lastPasswordChangeDateTime == Expected.date("2024-04-03T10:13:20Z"))
    }
}

@Suite("Tenant facts")
struct TenantTests {
    @Test func organization() throws {
        let facts = try TenantFactsReader.read(path: Fixture.path("tenant/organization.json"))
        #expect(facts == TenantFacts(lastPasswordSyncDateTime: Expected.date("2024-07-01T08:31:12Z"),
                                     lastDirSyncDateTime: Expected.date("2024-07-01T08:30:00Z"),
                                     onPremisesSyncEnabled: true))
    }

    @Test func onPremisesSynchronization() throws {
        let facts = try TenantFactsReader.read(path: Fixture.path("tenant/onpremises-synchronization.json"))
        #expect(facts == TenantFacts(passwordSyncEnabled: true, userForcePasswordChangeOnLogonEnabled: false))
    }

    @Test func bothConcatenated() throws {
        let facts = try TenantFactsReader.read(path: Fixture.path("tenant/tenant-both.json"))
        #expect(facts == TenantFacts(lastPasswordSyncDateTime: Expected.date("2024-07-01T08:31:12Z"),
                                     lastDirSyncDateTime: Expected.date("2024-07-01T08:30:00Z"),
                                     onPremisesSyncEnabled: true, passwordSyncEnabled: true,
                                     userForcePasswordChangeOnLogonEnabled: false))
    }

    @Test func powerShell() throws {
        let facts = try TenantFactsReader.read(path: Fixture.path("tenant/tenant-powershell.json"))
        #expect(facts == TenantFacts(lastPasswordSyncDateTime: Expected.date("2024-07-01T08:31:12Z"),
                                     lastDirSyncDateTime: Expected.date("2024-07-01T08:30:00Z"),
                                     onPremisesSyncEnabled: true, passwordSyncEnabled: false,
                                     userForcePasswordChangeOnLogonEnabled: true))
    }

    @Test func singleObjectInUTF16() throws {
        let text = "{\"id\":\"t\",\"onPremisesLastPasswordSyncDateTime\":\"\\/Date(1700000000000)\\/\"}"
        let facts = try TenantFactsReader.read(bytes: [0xFF, 0xFE] + Array(text.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] },
                                               name: "org.json")
        #expect(facts.lastPasswordSyncDateTime == Expected.date("2023-11-14T22:13:20Z"))
    }

    @Test(arguments: [
        ("", CloudExportError.Kind.empty),
        ("{\"value\":[{\"id\":\"1\",\"userPrincipalName\":\"a@b\"}]}", .wrongFormat),
        ("{\"displayName\":\"x\"}", .wrongFormat),
        ("{\"tenantType\":\"AAD\",\"onPremisesLastPasswordSyncDateTime\":\"2024-07-01 08:31\"}", .invalidDate),
        ("{\"tenantType\":\"AAD\"", .truncated),
        ("users.csv", .wrongFormat),
    ])
    func refused(_ text: String, _ kind: CloudExportError.Kind) {
        do {
            _ = try TenantFactsReader.read(bytes: Array(text.utf8), name: "tenant.json")
            Issue.record("read \(text)")
        } catch {
            #expect(error.kind == kind, "\(error)")
            #expect(error.description.hasPrefix("tenant.json"))
        }
    }
}
