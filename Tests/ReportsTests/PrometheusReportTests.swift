import Foundation
import Reports
import SyncAudit
import Testing

/// The output as Prometheus' own Python parser reads it (Debian's python3-prometheus-client).
struct ParsedFamily: Decodable {
    struct Sample: Decodable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var name: String
    var type: String
    var help: String
    var samples: [Sample]

    static let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        families = [{"name": f.name, "type": f.type, "help": f.documentation,
                     "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
                    for f in text_string_to_metric_families(sys.stdin.read())]
        json.dump(families, sys.stdout)
        """

    /// Parses `text` with `prometheus_client.parser.text_string_to_metric_families`.
    static func parse(_ text: String) throws -> [String: ParsedFamily] {
        let result = try Tool.run("/usr/bin/python3", ["-c", script], stdin: text)
        guard result.status == 0 else {
            Issue.record("prometheus_client refused the output: \(result.stderr)")
            return [:]
        }
        let families = try JSONDecoder().decode([ParsedFamily].self, from: Data(result.stdout.utf8))
        #expect(Set(families.map(\.name)).count == families.count, "each family once")
        return Dictionary(uniqueKeysWithValues: families.map { ($0.name, $0) })
    }

    /// The one sample of an unlabelled gauge.
    var value: Double? { samples.count == 1 ? samples[0].value : nil }
}

@Suite("Prometheus textfile output")
struct PrometheusReportTests {
    @Test("Parses with prometheus_client; every gauge has the run's numbers")
    func parses() throws {
        let report = ReportFixture.full
        let families = try ParsedFamily.parse(PrometheusReport.render(report))
        for family in families.values {
            #expect(family.name.hasPrefix("phs_check_"))
            #expect(family.type == "gauge", "\(family.name)")
            #expect(!family.help.isEmpty, "\(family.name) has HELP")
        }
        #expect(families["phs_check_run_success"]?.value == 1)
        #expect(families["phs_check_run_timestamp_seconds"]?.value == ReportFixture.generatedAt.timeIntervalSince1970)
        #expect(families["phs_check_as_of_timestamp_seconds"]?.value == ReportFixture.asOf.timeIntervalSince1970)
        #expect(families["phs_check_directory_users"]?.value == 24)
        #expect(families["phs_check_cloud_users"]?.value == 28)
        #expect(families["phs_check_matched_users"]?.value == Double(report.result.matched))
        #expect(families["phs_check_in_sync_users"]?.value == Double(report.result.inSync))
        let oldest = try #require(families["phs_check_oldest_not_synced_age_seconds"]?.value)
        #expect(oldest == 9 * 86_400 + 2 * 3600)
        #expect(families["phs_check_grace_seconds"]?.value == 3600)
        #expect(families["phs_check_resolved_findings"]?.value == 2)

        let info = try #require(families["phs_check_info"]?.samples.first)
        #expect(info.value == 1)
        #expect(info.labels == ["version": "1.0.0", "directory_source": "ldaps://dc01.corp.example:636",
                                "base_dn": "DC=corp,DC=example", "cloud_source": "exports/users-2024-03-04.json",
                                "cloud_format": "graph-json", "as_of_source": "option"])
    }

    @Test("One findings series per code, 0 included, with its severity and scope")
    func findingsByCode() throws {
        let report = ReportFixture.full
        let families = try ParsedFamily.parse(PrometheusReport.render(report))
        let samples = try #require(families["phs_check_findings"]).samples
        // A series per code and domain of the run (tenant codes once, with domain "").
        let domains = ["corp.example", "emea.corp.example"]
        #expect(samples.count == FindingCode.allCases.reduce(0) { $0 + ($1.scope == .tenant ? 1 : domains.count) })
        for code in FindingCode.allCases {
            for domain in code.scope == .tenant ? [""] : domains {
                let sample = samples.first { $0.labels["code"] == code.rawValue && $0.labels["domain"] == domain }
                #expect(sample?.labels == ["code": code.rawValue, "severity": code.severity.rawValue, "scope": code.scope.rawValue, "domain": domain])
                #expect(sample?.value == Double(report.findings.filter { $0.code == code && ($0.domain ?? "") == domain }.count), "\(code) \(domain)")
            }
        }
        #expect(families["phs_check_domain_read"]?.samples.map(\.value) == [1, 0])
        #expect(families["phs_check_domain_cloud_users_out_of_scope"]?.samples.map(\.value) == [0, 2, 1])
        #expect(samples.first { $0.labels["code"] == "password-not-synced" && $0.labels["domain"] == "corp.example" }?.value == 6)
        #expect(samples.first { $0.labels["code"] == "phs-disabled" }?.value == 0, "absent codes stay as 0")
        #expect(samples.reduce(0) { $0 + $1.value } == Double(report.findings.count))
    }

    @Test("A clean run: zeros, no resolved gauge without --history")
    func clean() throws {
        let families = try ParsedFamily.parse(PrometheusReport.render(ReportFixture.clean))
        #expect(families["phs_check_oldest_not_synced_age_seconds"]?.value == 0)
        #expect(families["phs_check_findings"]?.samples.allSatisfy { $0.value == 0 } == true)
        #expect(families["phs_check_resolved_findings"] == nil)
        #expect(families["phs_check_in_sync_users"]?.value == 3)
        #expect(families["phs_check_info"]?.samples.first?.labels["as_of_source"] == "graph")
    }

    @Test("A failed run: run_success 0 and the time, the reason as a comment")
    func failure() throws {
        let at = Date(timeIntervalSince1970: 1_709_554_650.25)
        let text = PrometheusReport.renderFailure(at: at, message: "ldaps://dc01: can't contact\nLDAP server")
        #expect(text.hasPrefix("# phs-check failed: ldaps://dc01: can't contact LDAP server\n"))
        let families = try ParsedFamily.parse(text)
        #expect(Set(families.keys) == ["phs_check_run_success", "phs_check_run_timestamp_seconds"])
        #expect(families["phs_check_run_success"]?.value == 0)
        #expect(families["phs_check_run_timestamp_seconds"]?.value == 1_709_554_650.25)
        #expect(try ParsedFamily.parse(PrometheusReport.renderFailure(at: at, message: nil)).count == 2)
    }

    @Test("Label values with quotes, backslashes and newlines survive the round trip")
    func labelEscaping() throws {
        var report = ReportFixture.clean
        let nasty = #"C:\exports\"users" 2024"# + "\nsecond line"
        report.cloud.source = nasty
        report.directory.baseDN = #"OU=R&D\, "Labs",DC=corp"#
        let families = try ParsedFamily.parse(PrometheusReport.render(report))
        let labels = try #require(families["phs_check_info"]?.samples.first?.labels)
        #expect(labels["cloud_source"] == nasty)
        #expect(labels["base_dn"] == #"OU=R&D\, "Labs",DC=corp"#)
    }

    @Test("Textfile collector rules: HELP and TYPE before each family, no timestamps, a final newline")
    func textfileShape() {
        let text = PrometheusReport.render(ReportFixture.full)
        #expect(text.hasSuffix("\n"))
        var seen = Set<String>()
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# HELP ") {
                let name = String(line.dropFirst(7).prefix { $0 != " " })
                #expect(!seen.contains(name), "\(name) appears once")
                seen.insert(name)
                current = name
            } else if line.hasPrefix("# TYPE ") {
                #expect(line == "# TYPE \(current ?? "?") gauge")
            } else {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                #expect(name == current, "sample \(line) belongs to the family above it")
                // name{labels} value — exactly one value after the labels, no timestamp.
                let afterLabels = line.split(separator: "}", omittingEmptySubsequences: false).last ?? line[...]
                #expect(afterLabels.split(separator: " ").count == (line.contains("{") ? 1 : 2), "\(line)")
            }
        }
    }
}
