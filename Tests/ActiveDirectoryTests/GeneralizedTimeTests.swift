import Foundation
import Testing
@testable import ActiveDirectory

// Unix seconds computed with python3 datetime (timezone-aware), e.g.
//   datetime(2024,3,4,5,6,7,tzinfo=timezone(timedelta(hours=2))).timestamp() = 1709521567
@Suite("GeneralizedTime")
struct GeneralizedTimeTests {
    @Test(arguments: [
        ("20240304050607.0Z", 1_709_528_767.0),      // what AD writes
        ("20240304050607Z", 1_709_528_767.0),
        ("20240304050607.25Z", 1_709_528_767.25),
        ("20240304050607,25Z", 1_709_528_767.25),    // comma as decimal sign
        ("20240304050607+0200", 1_709_521_567.0),
        ("20240304050607+02", 1_709_521_567.0),
        ("20240304050607-0530", 1_709_548_567.0),
        ("20240304050607.0-0530", 1_709_548_567.0),
        ("20240229235959Z", 1_709_251_199.0),        // leap day
        ("1999123123Z", 946_681_200.0),              // hour only
        ("1999123122.5Z", 946_679_400.0),            // fraction of an hour
        ("199912312259.5Z", 946_681_170.0),          // fraction of a minute
        ("199912312300Z", 946_681_200.0),
        ("19700101000000Z", 0.0),
    ])
    func parses(text: String, unixSeconds: Double) throws {
        #expect(try GeneralizedTime.parse(text) == unix(unixSeconds))
    }

    @Test(arguments: [
        ("", "empty"),
        ("2024", "not a GeneralizedTime"),
        ("20241304050607.0Z", "month 13"),
        ("20240004050607.0Z", "month 0"),
        ("20240230050607.0Z", "day 30 in month 2"),
        ("20230229050607.0Z", "day 29 in month 2"),  // not a leap year
        ("20240300050607.0Z", "day 0"),
        ("20240304250607.0Z", "hour 25"),
        ("20240304056007.0Z", "minute 60"),
        ("20240304050661.0Z", "second 61"),
        ("20240304050607.0", "no time zone"),
        ("20240304050607", "no time zone"),
        ("20240304050607.Z", "decimal sign without digits"),
        ("20240304050607.0Zx", "after the time zone"),
        ("20240304050607.0+2", "malformed time zone"),
        ("20240304050607.0+2400", "offset of 24 hours"),
        ("20240304050607.0+0260", "offset of 60 minutes"),
        ("20240304050607.0 Z", "where the time zone should be"),
        ("2024-03-04T05:06:07Z", "not a GeneralizedTime"),
        ("2024030405065Z", "truncated second"),
        ("202403040506075Z", "where the time zone should be"),
        ("20240304056Z", "truncated minute"),
    ])
    func rejects(text: String, reason: String) {
        let error = #expect(throws: AttributeDecodeError.self) { try GeneralizedTime.parse(text, attribute: "whenChanged") }
        #expect(error?.attribute == "whenChanged")
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func leapSecondIsAccepted() throws {
        #expect(try GeneralizedTime.parse("20161231235960Z") == unix(1_483_228_800))
    }
}
