public import Foundation
public import SyncAudit

/// `--format prometheus`: the Prometheus text exposition format (0.0.4) as node_exporter's
/// textfile collector reads it. Every metric is a gauge named `phs_check_*`, with HELP and TYPE
/// lines, no sample timestamps (the collector refuses them), and a series for every finding
/// code even at 0 so that alerts and graphs never see a series vanish. Write it with
/// `--output DIR/phs-check.prom`: the file is replaced atomically, as the collector needs.
public enum PrometheusReport {
    public static func render(_ report: AuditReport) -> String {
        let result = report.result
        let settings = result.settings
        var out = Exposition()
        out.gauge("phs_check_run_success", "1 when the last run compared both sides and wrote its report, 0 when it failed.", 1)
        out.gauge("phs_check_run_timestamp_seconds", "When the last run generated its report (Unix time).", report.generatedAt.timeIntervalSince1970)
        out.gauge("phs_check_as_of_timestamp_seconds", "When the cloud export was taken (asOf, Unix time).", settings.asOf.timeIntervalSince1970)
        out.gauge("phs_check_info", "Where the last run's inputs came from; always 1.", [
            (["version": report.version, "directory_source": report.directory.source,
              "base_dn": report.directory.baseDN ?? "", "cloud_source": report.cloud.source,
              "cloud_format": report.cloud.format, "as_of_source": settings.asOfSource.rawValue], 1),
        ])
        out.gauge("phs_check_directory_users", "Directory users in scope that were compared.", Double(result.directoryUsers))
        out.gauge("phs_check_cloud_users", "Users in the cloud export.", Double(result.cloudUsers))
        out.gauge("phs_check_matched_users", "Directory users matched to exactly one cloud user.", Double(result.matched))
        out.gauge("phs_check_in_sync_users", "Matched, enabled users in PHS scope whose latest password change reached Entra ID.", Double(result.inSync))
        out.gauge("phs_check_oldest_not_synced_age_seconds",
                  "How long the oldest password-not-synced change has waited (asOf - pwdLastSet); 0 when there is none.",
                  result.oldestNotSyncedAge ?? 0)
        out.gauge("phs_check_grace_seconds", "How long a change may take to sync before it is an error (--grace).", settings.grace)
        // By domain too: every user and domain code for each domain of the run, tenant codes
        // with domain "" (and every code with domain "" in a run that names no domains).
        struct Key: Hashable { var code: FindingCode; var domain: String }
        let counts = Dictionary(grouping: report.findings.filter { $0.accepted == nil }) { Key(code: $0.code, domain: $0.domain ?? "") }.mapValues(\.count)
        let ofRun = result.domains.filter { $0.status != .notRead }
        let covered = ofRun.map(\.name)
        out.gauge("phs_check_findings", "Findings of the last run by code, severity, scope and domain (0 for codes that did not occur); accepted findings (--exceptions) are not counted here.",
                  FindingCode.allCases.flatMap { code in
                      (code.scope == .tenant || covered.isEmpty ? [""] : covered).map { domain in
                          (["code": code.rawValue, "severity": code.severity.rawValue, "scope": code.scope.rawValue, "domain": domain],
                           Double(counts[Key(code: code, domain: domain)] ?? 0))
                      }
                  })
        if !result.domains.isEmpty {
            out.gauge("phs_check_domain_read", "1 for each domain of the run that was read, 0 for one that could not be (--allow-partial).",
                      ofRun.map { (["domain": $0.name], $0.status == .read ? 1 : 0) })
            out.gauge("phs_check_domain_directory_users", "Directory users compared, by domain.",
                      ofRun.map { (["domain": $0.name], Double($0.directoryUsers)) })
            out.gauge("phs_check_domain_cloud_users_out_of_scope", "Synced cloud users of a domain that was not read (not in the run, or unreachable): not judged.",
                      result.domains.map { (["domain": $0.name], Double($0.cloudUsersOutOfScope)) })
        }
        out.gauge("phs_check_accepted_findings", "Findings an exception in force accepts (--exceptions): shown in the report, counted in no other gauge.",
                  Double(report.acceptedCount))
        let warned = Dictionary(grouping: report.warnings, by: \.code).mapValues(\.count)
        out.gauge("phs_check_warnings", "Warnings that make the last run's result less than certain (see the report); 0 when it is certain.",
                  Double(report.warnings.count))
        out.gauge("phs_check_warning", "The last run's warnings by code (0 for codes that did not occur).",
                  WarningCode.allCases.map { (["code": $0.rawValue], Double(warned[$0] ?? 0)) })
        if let resolved = report.resolved {
            out.gauge("phs_check_resolved_findings", "Findings of the previous recorded run that are gone in this one (--history).", Double(resolved))
        }
        return out.text
    }

    /// What the CLI writes when a run fails (directory unreachable, bad input): `run_success 0`
    /// and the time, so that an alert on `phs_check_run_success == 0` fires instead of the old
    /// file's numbers going stale. The reason goes into a comment: a label would start a new
    /// series for every different message.
    public static func renderFailure(at date: Date, message: String?) -> String {
        var out = Exposition()
        if let message {
            let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
            out.text += "# phs-check failed: \(oneLine)\n"
        }
        out.gauge("phs_check_run_success", "1 when the last run compared both sides and wrote its report, 0 when it failed.", 0)
        out.gauge("phs_check_run_timestamp_seconds", "When the last run generated its report (Unix time).", date.timeIntervalSince1970)
        return out.text
    }

    /// A label value as the exposition format writes it: `\`, `"` and newline escaped.
    static func escapeLabel(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for ch in value.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// HELP text: `\` and newline escaped.
    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// A sample value: integers without a fraction, others to the millisecond.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        let millis = (value * 1000).rounded() / 1000
        return String(millis)
    }

    struct Exposition {
        var text = ""

        mutating func gauge(_ name: String, _ help: String, _ value: Double) {
            gauge(name, help, [([:], value)])
        }

        /// One metric family; labels are written in sorted order so the output is stable.
        mutating func gauge(_ name: String, _ help: String, _ samples: [([String: String], Double)]) {
            text += "# HELP \(name) \(PrometheusReport.escapeHelp(help))\n# TYPE \(name) gauge\n"
            for (labels, value) in samples {
                text += name
                if !labels.isEmpty {
                    text += "{" + labels.sorted { $0.key < $1.key }
                        .map { "\($0.key)=\"\(PrometheusReport.escapeLabel($0.value))\"" }
                        .joined(separator: ",") + "}"
                }
                text += " " + PrometheusReport.number(value) + "\n"
            }
        }
    }
}
