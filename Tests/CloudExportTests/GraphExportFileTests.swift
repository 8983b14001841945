import Foundation
import SyncAudit
import Testing
@testable import CloudExport

/// The file `export-cloud` writes, and the Graph page reader it is written from.
@Suite("export-cloud file")
struct GraphExportFileTests {
    static let started = Timestamp.parse("2026-11-30T02:30:00.250Z")!
    static let finished = Timestamp.parse("2026-11-30T02:31:10Z")!

    /// A /users page as Graph sends it (pretty-printed here, to show the lines are minified).
    static func page(_ users: [CloudUser], next: String?) -> [UInt8] {
        var text = "{\n  \"@odata.context\": \"https://graph.microsoft.com/v1.0/$metadata#users(id)\",\n"
        if let next { text += "  \"@odata.nextLink\": \"\(next)\",\n" }
        text += "  \"value\": [\n" + users.map { "    " + CloudExportReader.jsonLine($0) }.joined(separator: ",\n") + "\n  ]\n}\n"
        return Array(text.utf8)
    }

    static let tenant: TenantDocument = {
        var document = TenantDocument()
        document.organization = Array(#"{"value":[{"id":"t","onPremisesSyncEnabled":true,"onPremisesLastSyncDateTime":"2026-11-30T02:10:00Z"}]}"#.utf8)
        document.organizationBeta = Array(#"{"value":[{"id":"t","onPremisesLastPasswordSyncDateTime":"2026-11-30T02:28:00Z"}]}"#.utf8)
        document.cloudSync = [("sp-1", "corp.example", Array(#"""
            {"value": [{"id": "AD2AADPasswordHash.abc", "templateId": "AD2AADPasswordHash",
                        "schedule": {"state": "Active", "interval": "PT2M"},
                        "status": {"code": "Quarantine", "countSuccessiveCompleteFailures": 7,
                                   "quarantine": {"reason": "EncounteredQuarantineException", "currentBegan": "2026-11-29T20:00:00Z"},
                                   "lastExecution": {"state": "Failed", "timeEnded": "2026-11-30T02:20:00Z",
                                                     "error": {"code": "HybridIdentityServiceNoActiveAgents", "message": "no agent"}},
                                   "lastSuccessfulExecution": {"state": "Succeeded", "timeEnded": "2026-11-28T10:00:00Z"}}}]}
            """#.utf8))]
        return document
    }()

    static func file(_ users: [CloudUser], end: Int?) -> [UInt8] {
        let header = GraphExportHeader(tool: "phs-check test", tenantId: "t", graphURL: "https://graph.microsoft.com/v1.0",
                                       fetchStartedAt: started, fetchFinishedAt: finished, properties: ["id", "userPrincipalName"],
                                       tenant: TenantFacts(), notes: ["onPremisesSynchronization: 403"])
        var bytes = header.line(tenantDocument: tenant.json)
        for user in users { bytes += Array((CloudExportReader.jsonLine(user) + "\n").utf8) }
        if let end { bytes += GraphExportHeader.endLine(users: end) }
        return bytes
    }

    @Test func aPageGivesItsUsersItsNextLinkVerbatimAndOneMinifiedLineEach() throws {
        let next = "https://graph.microsoft.com/v1.0/users?$select=id&$top=999&$skiptoken=RFNwdAIAAQAAAD8"
        let page = try CloudExportReader.readUsersPage(Self.page(Expected.users, next: next), name: "page 1", keepLines: true)
        #expect(page.users == Expected.users)
        #expect(page.nextLink == next)
        let lines = String(decoding: page.lines, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == Expected.users.count)
        #expect(lines.map(String.init) == Expected.users.map(CloudExportReader.jsonLine))
        let last = try CloudExportReader.readUsersPage(Self.page([Expected.alice], next: nil), name: "page 2", keepLines: false)
        #expect(last.nextLink == nil && last.lines.isEmpty && last.users == [Expected.alice])
    }

    @Test func aBodyThatIsNotOnePageIsRefused() {
        for body in [#"[{"value":[]}]"#, #"{"id":"x","userPrincipalName":"a@b"}"#, #"{"value":[]}{"value":[]}"#] {
            #expect(throws: CloudExportError.self) { try CloudExportReader.readUsersPage(Array(body.utf8), name: "p", keepLines: true) }
        }
        #expect(throws: CloudExportError.self) { try CloudExportReader.readUsersPage(Array(#"{"value":[{"id":"#.utf8), name: "p", keepLines: true) }
    }

    @Test func theFileReadsBackWithItsTimeAndTenantState() throws {
        let (users, summary) = try readUsers(Self.file(Expected.users, end: Expected.users.count))
        #expect(users == Expected.users)
        let header = try #require(summary.graphExport)
        #expect(header.fetchStartedAt == Self.started && header.fetchFinishedAt == Self.finished)
        #expect(header.properties == ["id", "userPrincipalName"])
        #expect(header.tenant.onPremisesSyncEnabled == true)
        #expect(header.tenant.lastPasswordSyncDateTime == Timestamp.parse("2026-11-30T02:28:00Z"))
        let job = try #require(header.tenant.cloudSyncJobs?.first)
        #expect(job.configuration == "corp.example" && job.isPasswordHashSync && job.statusCode == "Quarantine")
        #expect(job.successiveFailures == 7 && job.quarantineReason == "EncounteredQuarantineException")
        #expect(job.lastExecutionError == "HybridIdentityServiceNoActiveAgents: no agent")
        #expect(job.lastSuccessEnded == Timestamp.parse("2026-11-28T10:00:00Z"))
        #expect(summary.warnings.contains { $0.code == .tenantStatePartial })
        #expect(Audit.resolveAsOf(option: nil, exportTime: header.fetchStartedAt, newestInExport: summary.newestTimestamp)! == (Self.started, .graph))
    }

    @Test func aFileCutShortOrEditedIsRefused() {
        func refusal(_ bytes: [UInt8]) -> CloudExportError? {
            #expect(throws: CloudExportError.self) { try readUsers(bytes) }
        }
        #expect(refusal(Self.file(Expected.users, end: nil))?.kind == .incompleteExport)
        #expect(refusal(Self.file(Expected.users, end: 3))?.kind == .malformed)
        #expect(refusal(Self.file(Expected.users, end: Expected.users.count) + Array(CloudExportReader.jsonLine(Expected.alice).utf8))?.kind == .malformed)
        let users = Expected.users.map { Array((CloudExportReader.jsonLine($0) + "\n").utf8) }.reduce([], +)
        #expect(refusal(users + Self.file([], end: 0))?.kind == .malformed, "a header after users")
        #expect(refusal(users + GraphExportHeader.endLine(users: 4))?.kind == .malformed, "a closing line without a header")
        let future = String(decoding: Self.file(Expected.users, end: 4), as: UTF8.self).replacingOccurrences(of: #""version":1"#, with: #""version":2"#)
        #expect(refusal(Array(future.utf8))?.kind == .wrongFormat)
    }

    @Test func theMinifierLeavesStringsAlone() {
        let text = "{ \"a\" : \"x y\\\" }\" ,\n\t\"b\":[ 1 , 2 ] }"
        #expect(String(decoding: JSONMinifier.minify(Array(text.utf8)), as: UTF8.self) == "{\"a\":\"x y\\\" }\",\"b\":[1,2]}")
    }
}
