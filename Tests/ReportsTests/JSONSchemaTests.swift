import Foundation
import Reports
import SyncAudit
import Testing

/// `--format json` against the package's schema (docs/schema/report.schema.json) with
/// Python's jsonschema (Debian's python3-jsonschema).
@Suite("JSON report against report.schema.json")
struct JSONSchemaTests {
    static let script = """
        import json, sys
        from jsonschema import Draft202012Validator
        schema = json.load(open(sys.argv[1]))
        # jsonschema 4.10 (Debian 12) resolves "#/$defs/..." against the relative $id twice
        # ("phs-check/phs-check/report.schema.json") and fails; every $ref here is local.
        schema.pop("$id", None)
        Draft202012Validator.check_schema(schema)
        errors = [f"{e.message} at {list(e.absolute_path)}" for e in Draft202012Validator(schema).iter_errors(json.load(sys.stdin))]
        print("\\n".join(errors[:20]))
        sys.exit(1 if errors else 0)
        """

    @Test("Valid against the schema", arguments: ["full", "clean", "uncertain"])
    func valid(_ name: String) throws {
        let report = ["full": ReportFixture.full, "clean": ReportFixture.clean, "uncertain": ReportFixture.uncertain][name]!
        let schema = Paths.schemaFolder + "/report.schema.json"
        #expect(FileManager.default.fileExists(atPath: schema), "\(schema) (set PHS_CHECK_SCHEMA_DIR)")
        let result = try Tool.run("/usr/bin/python3", ["-c", Self.script, schema], stdin: JSONReport.render(report))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test("The validator does refuse a broken report")
    func refuses() throws {
        let broken = JSONReport.render(ReportFixture.full).replacingOccurrences(of: "\"asOfSource\":\"option\"", with: "\"asOfSource\":\"guess\"")
        let result = try Tool.run("/usr/bin/python3", ["-c", Self.script, Paths.schemaFolder + "/report.schema.json"], stdin: broken)
        #expect(result.status == 1)
        #expect(result.stdout.contains("'guess' is not one of"))
    }

    @Test("What the JSON says matches the report")
    func content() throws {
        let object = try #require(JSONSerialization.jsonObject(with: Data(JSONReport.render(ReportFixture.full).utf8)) as? [String: Any])
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["matched"] as? Int == 22)
        #expect(summary["resolved"] as? Int == 2)
        #expect((summary["bySeverity"] as? [String: Int]) == ["error": 17, "warning": 7, "info": 5])
        let findings = try #require(object["findings"] as? [[String: Any]])
        #expect(findings.count == 29)
        // Per domain, and each finding naming its domain (tenant findings none).
        let domains = try #require(object["domains"] as? [[String: Any]])
        #expect(domains.map { $0["name"] as? String } == ["corp.example", "emea.corp.example", "fabrikam.example"])
        #expect(domains.map { $0["status"] as? String } == ["read", "unreachable", "not-read"])
        #expect(domains.map { $0["cloudUsersOutOfScope"] as? Int } == [0, 2, 1])
        #expect(domains[0]["bySeverity"] as? [String: Int] == ["error": 10, "warning": 7, "info": 5])
        #expect(domains[1]["failure"] as? String == "cannot reach ldaps://dc01.emea.corp.example: connection refused")
        #expect(findings.filter { $0["scope"] as? String == "user" }.allSatisfy { $0["domain"] as? String == "corp.example" })
        #expect(findings.filter { $0["scope"] as? String == "tenant" }.allSatisfy { $0["domain"] is NSNull })
        #expect(findings.filter { $0["code"] as? String == "domain-unreachable" }.map { $0["domain"] as? String } == ["emea.corp.example"])
        let hostile = try #require(findings.first { $0["samAccountName"] as? String == ReportFixture.hostileName })
        #expect(hostile["distinguishedName"] as? String == "CN=\(ReportFixture.hostileName),OU=Staff,DC=corp,DC=example")
        #expect(hostile["status"] as? String == "persisting")
        let tenant = try #require(findings.first { $0["code"] as? String == "phs-stopped" })
        #expect(tenant["samAccountName"] == nil, "user fields are omitted for tenant findings")
    }
}
