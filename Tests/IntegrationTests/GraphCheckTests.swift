import Foundation
import Testing

/// `check --cloud graph` end to end: the directory read live (slapd, the Samba DC) while the
/// emulator serves the same users' cloud side, the tenant's Cloud Sync jobs judged.
extension DirectoryWriters {
@Suite(.enabled(if: TestDirectory.available && GraphEmulator.available))
struct GraphCheckTests {
    static func slapd(_ dc: TestDirectory) -> [String] {
        ["--ldap-url", dc.slapdURL, "--allow-cleartext-bind", "--bind-dn", "CN=admin,\(dc.slapdSmallBaseDN)",
         "--bind-password-file", dc.slapdPasswordFile, "--base-dn", dc.slapdSmallBaseDN]
    }

    /// A Cloud Sync configuration (service principal) with one job of `template`.
    static func configuration(_ name: String, template: String = "AD2AADPasswordHash", _ job: [String: Any]) -> [String: Any] {
        var job = job
        job["templateId"] = template
        return ["displayName": name, "applicationTemplateId": "1a4721b3-e57f-4451-ae87-ef078703ec94", "jobs": [job]]
    }

    @Test("check --cloud graph against slapd: every user matched and in sync, asOf from Graph, and each Cloud Sync PHS job state its finding")
    func cloudSyncJobStates() throws {
        let dc = try TestDirectory.require()
        let succeeded3m: [String: Any] = ["lastSuccessfulExecution": ["state": "Succeeded", "timeEnded": "now-3m"]]
        let emulator = try GraphEmulator(scenario: ["servicePrincipals": [
            Self.configuration("quarantined.test", ["status": [
                "code": "Quarantine", "quarantine": ["reason": "EncounteredQuarantineException", "currentBegan": "now-2h"],
                "lastExecution": ["state": "Failed", "timeEnded": "now-10m", "error": ["code": "HybridSynchronizationActiveDirectoryInvalidCredentials", "message": "The credentials are not valid."]],
                "lastSuccessfulExecution": ["state": "Succeeded", "timeEnded": "now-1d"]]]),
            Self.configuration("paused.test", ["schedule": ["state": "Paused"], "status": ["code": "Paused"]]),
            Self.configuration("failing.test", ["status": [
                "countSuccessiveCompleteFailures": 4,
                "lastExecution": ["state": "Failed", "timeEnded": "now-4m", "error": ["code": "AgentUnreachable", "message": "No agent answered."]],
                "lastSuccessfulExecution": ["state": "Succeeded", "timeEnded": "now-30m"]]]),
            Self.configuration("stale.test", ["status": ["lastSuccessfulExecution": ["state": "Succeeded", "timeEnded": "now-5h"]]]),
            Self.configuration("healthy.test", ["status": succeeded3m]),
            // A user and group job in quarantine is not a password hash sync finding.
            Self.configuration("provisioning.test", template: "AD2AADProvisioning", ["status": ["code": "Quarantine"]]),
        ]], arguments: ["--generate", "\(dc.slapdSmallUsers)", "--generate-base-dn", dc.slapdSmallBaseDN])
        let before = Date()
        let result = try CommandRunner.phsCheck(["check", "--quiet", "--format", "json", "--cloud", "graph"] + Self.slapd(dc) + emulator.options())
        #expect(result.status == 1, "\(result.stderr)")
        let report = try CheckEndToEndTests.json(result)
        try SchemaValidator.validate(json: result.output, schema: "report")
        #expect(report["asOfSource"] as? String == "graph")
        let asOf = try #require((report["asOf"] as? String).flatMap { ISO8601DateFormatter.withFraction.date(from: $0) ?? ISO8601DateFormatter().date(from: $0) })
        #expect(asOf >= before.addingTimeInterval(-1) && asOf <= Date())
        let summary = try #require(report["summary"] as? [String: Any])
        #expect(summary["matched"] as? Int == dc.slapdSmallUsers)
        let findings = try #require(report["findings"] as? [[String: Any]])
        #expect(findings.allSatisfy { $0["scope"] as? String == "tenant" }, "\(findings.filter { $0["scope"] as? String != "tenant" }.prefix(3))")
        var byCode: [String: String] = [:]
        for finding in findings { byCode[finding["code"] as? String ?? "", default: ""] += finding["message"] as? String ?? "" }
        #expect(Set(byCode.keys) == ["cloud-sync-phs-quarantined", "cloud-sync-phs-paused", "cloud-sync-phs-failing", "cloud-sync-phs-stale"])
        #expect(byCode["cloud-sync-phs-quarantined"]?.contains("quarantined.test") == true)
        #expect(byCode["cloud-sync-phs-quarantined"]?.contains("EncounteredQuarantineException") == true)
        #expect(byCode["cloud-sync-phs-paused"]?.contains("paused.test") == true)
        #expect(byCode["cloud-sync-phs-failing"]?.contains("4 times") == true)
        #expect(byCode["cloud-sync-phs-failing"]?.contains("AgentUnreachable") == true)
        #expect(byCode["cloud-sync-phs-stale"]?.contains("stale.test") == true)
        let warnings = try #require(report["warnings"] as? [[String: Any]])
        #expect(warnings.contains { $0["code"] as? String == "tenant-state-partial" })
        // Both sides were read at the same time: Graph's first request before the directory read ended.
        let firstPage = try #require(try emulator.requests().first { $0["endpoint"] as? String == "users" })
        #expect(try #require(firstPage["t"] as? Double) < Date().timeIntervalSince1970)
    }

    @Test("The test directory's own Graph emulator holds the slapd directory's cloud side: export-cloud, then check and compare agree")
    func sharedEmulator() throws {
        let dc = try TestDirectory.require()
        let graph = try #require(dc.graph, "scripts/test-directory.sh start all runs the Graph emulator; export the variables of scripts/test-directory.sh env")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shared-graph-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let export = folder.appendingPathComponent("cloud.jsonl").path
        let exported = try CommandRunner.phsCheck(["export-cloud", "--quiet", "--output", export] + graph.options)
        #expect(exported.status == 0, "\(exported.stderr)")
        let snapshot = folder.appendingPathComponent("snapshot.jsonl").path
        let collected = try CommandRunner.phsCheck(["collect", "--quiet", "--output", snapshot] + Self.slapd(dc))
        #expect(collected.status == 0, "\(collected.stderr)")
        let compare = try CommandRunner.phsCheck(["compare", "--quiet", "--format", "json", "--snapshot", snapshot, "--cloud", export])
        #expect(compare.status == 0, "\(compare.stderr)")
        let report = try CheckEndToEndTests.json(compare)
        #expect(report["asOfSource"] as? String == "graph")
        #expect((report["summary"] as? [String: Any])?["matched"] as? Int == graph.users)
        #expect((report["findings"] as? [Any])?.isEmpty == true, "a healthy emulated tenant: no finding")
        let live = try CommandRunner.phsCheck(["check", "--quiet", "--format", "json", "--cloud", "graph"] + Self.slapd(dc) + graph.options)
        #expect(live.status == 0, "\(live.stderr)")
        #expect((try CheckEndToEndTests.json(live)["summary"] as? [String: Any])?["matched"] as? Int == graph.users)
    }

    @Test("check --cloud graph against the Samba DC gives the findings of the same users from a Graph JSON file at the same asOf")
    func sameAsTheFile() throws {
        let dc = try TestDirectory.require()
        let s = try CheckEndToEndTests.scenario.get()
        let emulator = try GraphEmulator(arguments: ["--users", s.graphJSON])
        // The file path's options without its --as-of: Graph's read time is the asOf.
        let common = Array(s.common.prefix { $0 != "--as-of" })
        let live = try CommandRunner.phsCheck(["check", "--quiet", "--format", "json", "--cloud", "graph"]
                                              + CheckEndToEndTests.ldaps(dc, s.ou) + common + emulator.options(certificate: false))
        #expect(live.status == 1, "\(live.stderr)")
        let liveReport = try CheckEndToEndTests.json(live)
        #expect(liveReport["asOfSource"] as? String == "graph")
        let asOf = try #require(liveReport["asOf"] as? String)
        let file = try CommandRunner.phsCheck(["check", "--quiet", "--format", "json", "--cloud", s.graphJSON, "--as-of", asOf]
                                              + CheckEndToEndTests.ldaps(dc, s.ou) + common)
        let fileReport = try CheckEndToEndTests.json(file)
        #expect(file.status == live.status)
        #expect(try CheckEndToEndTests.codes(liveReport) == CheckEndToEndTests.codes(fileReport))
        let userFindings = { (report: [String: Any]) in
            (report["findings"] as? [[String: Any]] ?? []).filter { $0["scope"] as? String == "user" }
                .map { "\($0["code"] ?? "") \($0["samAccountName"] ?? "") \($0["message"] ?? "")" }.sorted()
        }
        #expect(userFindings(liveReport) == userFindings(fileReport))
        #expect(!userFindings(liveReport).isEmpty)
        // explain reads Graph the same way and agrees with check on a user.
        let explain = try CommandRunner.phsCheck(["explain", "e2e.notsynced", "--quiet", "--format", "json", "--cloud", "graph"]
                                                 + CheckEndToEndTests.ldaps(dc, s.ou) + common + emulator.options())
        #expect(explain.status == 1, "\(explain.stderr)")
        #expect(explain.output.contains("password-not-synced"))
    }
}
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let withFraction: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}
