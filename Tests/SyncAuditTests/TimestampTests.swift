import Foundation
import SyncAudit
import Testing

@Suite("ISO 8601 times")
struct TimestampTests {
    @Test(arguments: [
        ("2024-03-04T05:06:07Z", 1_709_528_767.0),
        ("2024-03-04 05:06:07.5z", 1_709_528_767.5),
        ("2024-03-04T06:06:07+01:00", 1_709_528_767.0),
        ("2024-03-04T00:06:07-0500", 1_709_528_767.0),
        ("2024-03-04T05:06Z", 1_709_528_760.0),
    ])
    func reads(_ text: String, _ unix: Double) {
        #expect(Timestamp.parse(text)?.timeIntervalSince1970 == unix)
    }

    @Test(arguments: ["2024-03-04T05:06:07", "2024-02-30T00:00:00Z", "2024-03-04T05:06:07+15:00",
                      "2024-03-04T05:06:07+01:60", "2024-03-04T05:06:07.Z", "2024-03-04", "2024-03-04T05:06:07Zjunk"])
    func refuses(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test("A time without a zone is UTC only when asked")
    func assumeUTC() {
        #expect(Timestamp.parse("2024-03-04T05:06:07", assumeUTC: true)?.timeIntervalSince1970 == 1_709_528_767)
    }

    @Test("format and parse round-trip")
    func roundTrip() {
        for seconds: TimeInterval in [0, 1_700_000_000, 1_700_000_000.25, -86_400 * 365 * 300] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Timestamp.parse(Timestamp.format(date)) == date)
        }
    }
}
