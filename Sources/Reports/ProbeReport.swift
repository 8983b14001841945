public import Foundation
public import SyncAudit

/// `phs-check probe`'s report: the canary, each stage with its time and its latency from the
/// change, the verdict in one sentence, and when the change did not arrive, why (the findings
/// `check` gives the canary) with the next step. Text from the directory is shown
/// terminal-safe; the password is not in anything this renders (it is not in `ProbeRun`).
public enum ProbeReport {
    public static func render(_ run: ProbeRun, findings: [Finding], warnings: [RunWarning], server: String, color: Bool) -> String {
        let paint = Paint(enabled: color)
        var out = warningBanner(warnings, paint: paint)
        let user = run.canary
        out += paint.bold("probe") + "  \(terminalSafe(user.samAccountName))  \(terminalSafe(user.distinguishedName))\n"
        if let cloud = run.cloud {
            out += "  " + TableReport.pad("Cloud", 10) + terminalSafe(cloud.displayName) + " (onPremisesImmutableId \(terminalSafe(cloud.onPremisesImmutableId ?? "-")))\n"
        }
        for stage in Probe.stages(run) {
            let (label, what): (String, String) = switch stage.name {
            case .reset: ("Reset", "pwdLastSet on \(terminalSafe(server)), \(duration(stage.seconds)) after the probe began"
                            + (run.canary.unicodePwdLastChanged.map { "; unicodePwd changed \(Timestamp.format($0)) (replication metadata)" } ?? ""))
            case .arrival: ("Arrived", "lastPasswordChangeDateTime in Entra ID, \(duration(stage.seconds)) after the change")
            case .observed: ("Seen", "by poll \(run.polls), \(duration(stage.seconds)) after the change")
            case .signin: ("Signed in", "with the new password, \(duration(stage.seconds)) after the change\(run.previousRefused == true ? "; the previous one refused" : "")")
            }
            out += "  " + TableReport.pad(label, 10) + Timestamp.format(stage.at) + "  " + what + "\n"
        }
        if run.changed, run.arrivedAt == nil {
            out += "  " + TableReport.pad("Polled", 10) + "\(run.polls) time\(run.polls == 1 ? "" : "s"), the last at \(Timestamp.format(run.lastPollAt))\n"
        }
        out += "\n"
        if findings.isEmpty {
            out += paint.green("PASS") + "  " + Probe.summary(run) + "\n"
            return out
        }
        out += paint.severity(.error, "FAIL") + "  " + Probe.summary(run) + "\n"
        for f in findings {
            out += "  " + paint.severity(f.severity, f.code.rawValue) + "  " + terminalSafe(f.message) + "\n"
            out += "    Next: " + f.nextStep + "\n"
            if let command = f.command { out += "    Run:  " + terminalSafe(command) + "\n" }
        }
        return out
    }

    /// The report as JSON (docs/schema/probe.schema.json).
    public static func json(_ run: ProbeRun, findings: [Finding], warnings: [RunWarning], server: String, version: String) -> String {
        var top = MultilineJSONObject()
        top.add("tool", "phs-check")
        top.add("version", version)
        top.add("outcome", findings.isEmpty ? "arrived" : run.changed ? "not-arrived" : "not-changed")
        top.add("summary", Probe.summary(run))
        var canary = JSONObjectWriter()
        canary.add("samAccountName", run.canary.samAccountName)
        canary.add("distinguishedName", run.canary.distinguishedName)
        canary.add("userPrincipalName", run.canary.userPrincipalName)
        canary.add("cloudUserPrincipalName", run.cloud?.userPrincipalName)
        canary.add("immutableId", run.canary.sourceAnchor)
        top.add("canary", json: canary.finish())
        top.add("server", server)
        top.add("startedAt", Timestamp.format(run.startedAt))
        top.add("changedAt", Timestamp.format(run.changedAt))
        top.add("unicodePwdChangedAt", optional: run.changed ? run.canary.unicodePwdLastChanged.map(Timestamp.format) : nil)
        top.add("arrivedAt", optional: run.arrivedAt.map(Timestamp.format))
        top.add("seenAt", optional: run.seenAt.map(Timestamp.format))
        top.add("signedInAt", optional: run.signedInAt.map(Timestamp.format))
        top.add("previousPasswordRefused", json: run.previousRefused.map { $0 ? "true" : "false" } ?? "null")
        top.add("timeoutSeconds", json: number(run.timeout))
        top.add("polls", json: "\(run.polls)")
        let stages = Probe.stages(run).map { stage -> String in
            var w = JSONObjectWriter()
            w.add("stage", stage.name.rawValue)
            w.add("at", Timestamp.format(stage.at))
            w.add("seconds", json: number(stage.seconds))
            return w.finish()
        }
        top.add("stages", json: MultilineJSONObject.array(stages, indent: 4))
        top.add("findings", json: MultilineJSONObject.array(findings.map { JSONReport.finding($0, waited: nil) }, indent: 4))
        top.add("warnings", json: JSONReport.warnings(warnings))
        return top.finish()
    }

    /// For node_exporter's textfile collector (as `PrometheusReport`): whether the change arrived,
    /// and each stage's latency (NaN for a stage not reached, so that no series vanishes).
    public static func prometheus(_ run: ProbeRun, findings: [Finding]) -> String {
        var out = PrometheusReport.Exposition()
        out.gauge("phs_check_probe_success", Self.successHelp, findings.isEmpty ? 1 : 0)
        out.gauge("phs_check_probe_timestamp_seconds", "When the last probe began (Unix time).", run.startedAt.timeIntervalSince1970)
        let stages = Probe.latencies(run)
        out.gauge("phs_check_probe_latency_seconds", Self.latencyHelp,
                  ProbeStage.Name.allCases.map { (["stage": $0.rawValue], stages[$0] ?? .nan) })
        out.gauge("phs_check_probe_polls", "How many times the last probe read Microsoft Graph after the change.", Double(run.polls))
        return out.text
    }

    /// The file a probe that could not run writes: success 0, the reason as a comment.
    public static func prometheusFailure(at date: Date, message: String) -> String {
        var out = PrometheusReport.Exposition()
        out.text += "# phs-check probe failed: \(message.split(whereSeparator: \.isNewline).joined(separator: " "))\n"
        out.gauge("phs_check_probe_success", Self.successHelp, 0)
        out.gauge("phs_check_probe_timestamp_seconds", "When the last probe began (Unix time).", date.timeIntervalSince1970)
        out.gauge("phs_check_probe_latency_seconds", Self.latencyHelp, ProbeStage.Name.allCases.map { (["stage": $0.rawValue], .nan) })
        return out.text
    }

    static let successHelp = "1 when the last probe's password change arrived in Entra ID within --probe-timeout, else 0 (not arrived, or the probe could not run)."
    static let latencyHelp = "Seconds from the canary's change on-premises (pwdLastSet) to each stage of the last probe: arrival (lastPasswordChangeDateTime), observed (the poll that saw it), signin (the new password signed in, --prove-signin); reset: from the probe's start to the change. NaN when not reached."

    /// Seconds with millisecond precision, as JSON.
    static func number(_ seconds: TimeInterval) -> String {
        String(format: "%.3f", seconds)
    }

    static func duration(_ seconds: TimeInterval) -> String {
        seconds < 10 ? String(format: "%.1f s", seconds) : HumanDuration.format(seconds)
    }
}
