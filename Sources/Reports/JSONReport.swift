public import SyncAudit
import Foundation

/// `--format json`: the stable report of docs/FORMATS.md ("JSON report", docs/schema/report.schema.json).
/// Keys in the contract's order; one finding per line so that the file diffs and greps well.
public enum JSONReport {
    public static func render(_ report: AuditReport) -> String {
        var text = ""
        write(report, to: &text)
        return text
    }

    /// Writes the report as it is rendered, a finding at a time: a million findings never
    /// become one string.
    public static func write(_ report: AuditReport, to out: inout some TextOutputStream) {
        var top = MultilineJSONObject()
        top.add("tool", "phs-check")
        top.add("version", report.version)
        top.add("generatedAt", Timestamp.format(report.generatedAt))
        top.add("asOf", Timestamp.format(report.result.settings.asOf))
        top.add("asOfSource", report.result.settings.asOfSource.rawValue)
        top.add("selectivePHS", report.result.settings.selectivePHS.rawValue)

        var directory = JSONObjectWriter()
        directory.add("source", report.directory.source)
        directory.add("baseDN", report.directory.baseDN)
        directory.add("users", report.directory.users)
        directory.add("readAt", report.directory.readAt.map(Timestamp.format))
        top.add("directory", json: directory.finish())

        var cloud = JSONObjectWriter()
        cloud.add("source", report.cloud.source)
        cloud.add("format", report.cloud.format)
        cloud.add("users", report.cloud.users)
        top.add("cloud", json: cloud.finish())
        top.add("domains", json: MultilineJSONObject.array(report.result.domains.map(domain), indent: 4))

        var byCode = JSONObjectWriter()
        for (code, count) in report.countsByCode { byCode.add(code.rawValue, count) }
        var summary = JSONObjectWriter()
        summary.add("matched", report.result.matched)
        summary.add("bySeverity", json: bySeverity(report.count(.error), report.count(.warning), report.count(.info)))
        summary.add("byCode", json: byCode.finish())
        summary.add("accepted", report.acceptedCount)
        if let resolved = report.resolved { summary.add("resolved", resolved) }
        top.add("summary", json: summary.finish())
        top.add("containers", json: MultilineJSONObject.array(report.containers.map(container), indent: 4))
        if let history = report.history { top.add("history", json: Self.history(history)) }
        top.add("warnings", json: warnings(report.warnings))
        top.write(to: &out, endingWith: "findings", report.findings.lazy.map { finding($0, waited: report.result.waited($0)) }, indent: 4)
    }

    /// The run's warnings as a JSON array: `[{"code":...,"message":...}]`.
    static func warnings(_ warnings: [RunWarning]) -> String {
        "[" + warnings.map { warning in
            var w = JSONObjectWriter()
            w.add("code", warning.code.rawValue)
            w.add("message", warning.message)
            return w.finish()
        }.joined(separator: ",") + "]"
    }

    /// One domain's counts as a compact JSON object (docs/FORMATS.md "Domains").
    static func domain(_ summary: DomainSummary) -> String {
        var w = JSONObjectWriter()
        w.add("name", summary.name)
        w.add("status", summary.status.rawValue)
        w.add("source", summary.domain?.source)
        w.add("baseDN", summary.domain?.namingContext)
        w.add("readAt", summary.domain?.readAt.map(Timestamp.format))
        w.add("failure", summary.domain?.failure)
        w.add("directoryUsers", summary.directoryUsers)
        w.add("matched", summary.matched)
        w.add("inSync", summary.inSync)
        w.add("bySeverity", json: bySeverity(summary.errors, summary.warnings, summary.infos))
        w.add("cloudUsersOutOfScope", summary.cloudUsersOutOfScope)
        return w.finish()
    }

    /// `{"error":E,"warning":W,"info":I}`.
    static func bySeverity(_ errors: Int, _ warnings: Int, _ infos: Int) -> String {
        var w = JSONObjectWriter()
        w.add("error", errors)
        w.add("warning", warnings)
        w.add("info", infos)
        return w.finish()
    }

    /// One parent container's findings (docs/FORMATS.md "Containers").
    static func container(_ summary: ContainerSummary) -> String {
        var w = JSONObjectWriter()
        w.add("container", summary.container)
        w.add("bySeverity", json: bySeverity(summary.errors, summary.warnings, summary.infos))
        var byCode = JSONObjectWriter()
        for (code, count) in summary.codes { byCode.add(code.rawValue, count) }
        w.add("byCode", json: byCode.finish())
        return w.finish()
    }

    /// With history: the resolved findings and the recent runs' counts.
    static func history(_ history: HistoryContext) -> String {
        let resolved = history.resolved.map { finding in
            var w = JSONObjectWriter()
            w.add("code", finding.code)
            w.add("domain", finding.domain)
            w.add("samAccountName", finding.samAccountName)
            w.add("userPrincipalName", finding.userPrincipalName)
            w.add("distinguishedName", finding.distinguishedName)
            w.add("firstSeen", finding.firstSeen.map(Timestamp.format))
            return w.finish()
        }
        let trend = history.trend.map { run in
            var w = JSONObjectWriter()
            w.add("runId", Int(run.runId))
            w.add("startedAt", Timestamp.format(run.at))
            w.add("error", run.errors)
            w.add("warning", run.warnings)
            w.add("info", run.infos)
            w.add("new", run.new)
            return w.finish()
        }
        var w = JSONObjectWriter()
        w.add("resolved", json: "[" + resolved.joined(separator: ",") + "]")
        w.add("trend", json: "[" + trend.joined(separator: ",") + "]")
        return w.finish()
    }

    /// One finding as a compact JSON object, keys in the contract's order.
    static func finding(_ finding: Finding, waited: TimeInterval?) -> String {
        var w = JSONObjectWriter()
        let f = FindingFields(finding, waited: waited)
        w.add("code", f.code)
        w.add("severity", f.severity)
        w.add("scope", f.scope)
        w.add("domain", f.domain)
        if finding.scope == .user {
            w.add("samAccountName", f.samAccountName)
            w.add("userPrincipalName", f.userPrincipalName)
            w.add("distinguishedName", f.distinguishedName)
            w.add("objectGUID", f.objectGUID)
            w.add("immutableId", f.immutableId)
            w.add("cloudId", f.cloudId)
            w.add("matchedBy", f.matchedBy)
            w.add("onPremPasswordLastSet", f.onPremPasswordLastSet)
            w.add("cloudLastPasswordChange", f.cloudLastPasswordChange)
            w.add("waitedSeconds", f.waitedSeconds)
        }
        w.add("message", f.message)
        w.add("nextStep", f.nextStep)
        w.add("command", f.command)
        w.add("status", f.status)
        w.add("firstSeen", f.firstSeen)
        w.add("runsOpen", f.runsOpen)
        if let accepted = finding.accepted {
            var a = JSONObjectWriter()
            a.add("reason", accepted.reason)
            a.add("expires", Timestamp.format(accepted.expires))
            a.add("exception", accepted.place)
            w.add("accepted", json: a.finish())
        }
        return w.finish()
    }
}
