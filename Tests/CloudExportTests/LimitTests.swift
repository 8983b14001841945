import Foundation
import SyncAudit
import Testing
@testable import CloudExport

/// No input makes a reader hold more than its limits: each stops with an error naming the
/// limit and the option that raises it.
@Suite("Input limits")
struct LimitTests {
    static let small = CloudReadOptions(timeZone: amsterdam, limits: InputLimits(maxRecordSize: 4096, maxInputSize: 16_384))

    @Test func aJSONStringPastTheLimit() throws {
        let long = String(repeating: "x", count: 10_000)
        let json = #"{"value":[{"id":"1","userPrincipalName":"\#(long)@b.c","lastPasswordChangeDateTime":"2024-01-01T00:00:00Z"}]}"#
        let error = try #require(readError(json, options: Self.small))
        #expect(error.description.contains("longer than --max-record-size 4 KiB"))
        // The same file with the limit raised is read.
        var raised = Self.small
        raised.limits.maxRecordSize = 1 << 20
        #expect(try readUsers(json, options: raised).0.count == 1)
    }

    @Test func aCSVRecordPastTheLimit() throws {
        let csv = "Id,UserPrincipalName,LastPasswordChangeDateTime\r\n1," + String(repeating: "y", count: 10_000) + ",2024-01-01T00:00:00Z\r\n"
        let error = try #require(readError(csv, name: "users.csv", options: Self.small))
        #expect(error.description.contains("record longer than --max-record-size 4 KiB"))
    }

    @Test("A pipe that would have to be held past --max-input-size is refused, not recorded on and on")
    func recordedPipe() throws {
        var csv = "Id,UserPrincipalName,LastPasswordChangeDateTime\r\n"
        for n in 0..<1000 { csv += "\(n),u\(n)@b.c,2024-01-01T00:00:00Z\r\n" }
        let stream = RecordingStream(MemoryStream(Array(csv.utf8)), limit: 16_384)
        #expect {
            _ = try CloudExportReader.read(stream: stream, name: "-", options: Self.small) { _ in }
        } throws: { error in
            (error as? CloudExportError)?.description.contains("more than --max-input-size 16 KiB") == true
        }
    }

    @Test("An input of NUL bytes is refused at its first byte")
    func zeros() throws {
        let error = try #require(readError([UInt8](repeating: 0, count: 1 << 16), name: "/dev/zero"))
        #expect(error.description.contains("starts with a NUL byte"))
    }

    @Test("A tenant file is read whole, so at most --max-input-size of it")
    func tenantLimit() throws {
        let big = #"{"id":"t","verifiedDomains":[\#(String(repeating: #"{"name":"x.example"},"#, count: 2000)){"name":"y"}]}"#
        #expect(throws: CloudExportError.self) {
            _ = try TenantFactsReader.read(stream: LimitedStream(MemoryStream(Array(big.utf8)), limit: 16_384), name: "tenant.json")
        }
    }
}
