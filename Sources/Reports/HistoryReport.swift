public import RunHistory
import Foundation
import SyncAudit

/// `phs-check history`: the recorded runs newest first, then one run's new and resolved
/// findings, as a table for a person or as JSON (one run or finding per line).
public enum HistoryReport {
    // MARK: Table

    /// The table, with the directory's text (names, messages) made safe for a terminal.
    public static func table(path: String, runs: [RunSummary], diff: RunDiff?, limited: Bool, probes: [ProbeRecord] = []) -> String {
        terminalSafe(tableText(path: path, runs: runs, diff: diff, limited: limited) + probesText(probes), keepingNewlines: true)
    }

    /// The probes, newest first: outcome and the latency of each stage (docs/PROBE.md).
    private static func probesText(_ probes: [ProbeRecord]) -> String {
        guard !probes.isEmpty else { return "" }
        let header = ["PROBE", "STARTED", "CANARY", "OUTCOME", "ARRIVAL", "OBSERVED", "SIGN-IN", "POLLS"]
        var rows = [header]
        var failures: [Int: String] = [:]
        for probe in probes {
            if probe.outcome == .failed { failures[rows.count] = "failed: " + oneLine(probe.message) }
            rows.append([String(probe.id), Timestamp.format(probe.startedAt), probe.canary,
                         probe.outcome == .failed ? "" : probe.outcome.rawValue,
                         seconds(probe.arrivalSeconds), seconds(probe.observedSeconds), seconds(probe.signinSeconds), number(probe.polls)])
        }
        return "\nPROBES (\(probes.count), newest first; latency from the change on-premises)\n"
            + columns(rows, rightAligned: { $0 == 0 || $0 >= 4 }, trailing: failures)
    }

    /// Rows as aligned columns (a short row leaves its last columns empty), each line ended by
    /// its `trailing` text when it has one.
    private static func columns(_ rows: [[String]], rightAligned: (Int) -> Bool, trailing: [Int: String]) -> String {
        let widths = rows[0].indices.map { column in rows.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        var out = ""
        for (index, row) in rows.enumerated() {
            var line = "  " + row.enumerated().map { column, cell in
                let gap = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned(column) ? gap + cell : cell + gap
            }.joined(separator: "  ")
            if let text = trailing[index] { line += "  " + text }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }

    private static func seconds(_ value: Double?) -> String { value.map(ProbeReport.duration) ?? "-" }

    private static func tableText(path: String, runs: [RunSummary], diff: RunDiff?, limited: Bool) -> String {
        guard !runs.isEmpty || diff != nil else {
            return "History \(path): no runs recorded yet (record them with phs-check check --history \(path)).\n"
        }
        var out = "History \(path): " + (limited ? "the latest \(runs.count) runs" : "\(runs.count) \(runs.count == 1 ? "run" : "runs")") + ", newest first\n\n"
        let header = ["RUN", "FINISHED", "AS OF", "DIR", "CLOUD", "MATCHED", "ERR", "WARN", "INFO", "NEW", "RESOLVED"]
        var rows: [[String]] = [header]
        var failures: [Int: String] = [:]
        for run in runs {
            if run.succeeded {
                rows.append([
                    String(run.id), Timestamp.format(run.finishedAt), run.asOf.map(Timestamp.format) ?? "-",
                    number(run.directoryUsers), number(run.cloudUsers), number(run.matched),
                    number(run.errors), number(run.warnings), number(run.infos),
                    String(run.newFindings), number(run.resolved),
                ])
            } else {
                // One line, cut: a long message would wrap and break the table (--run N shows it whole).
                let failure = oneLine(run.failure ?? "unknown failure")
                failures[rows.count] = "failed: " + (failure.count <= failureWidth ? failure
                    : String(failure.prefix(failureWidth - 1)) + "… (--run \(run.id) shows it whole)")
                rows.append([String(run.id), Timestamp.format(run.finishedAt)])
            }
        }
        // Numbers right-aligned, times and text left-aligned.
        out += columns(rows, rightAligned: { $0 == 0 || $0 >= 3 }, trailing: failures)

        guard let diff else { return out }
        let run = diff.run
        out += "\n"
        guard run.succeeded else {
            out += "Run \(run.id) failed at \(Timestamp.format(run.finishedAt)): \(run.failure ?? "unknown failure")\n"
            return out
        }
        let asOf = run.asOf.map { ", as of \(Timestamp.format($0))" } ?? ""
        if let previous = diff.previous {
            out += "Run \(run.id) (\(Timestamp.format(run.finishedAt))\(asOf)) against run \(previous.id) (\(Timestamp.format(previous.finishedAt))): "
                + "\(diff.new.count) new, \(diff.resolved.count) resolved, \(diff.persisting) persisting\n"
        } else if run.previousRunId != nil {
            out += "Run \(run.id) (\(Timestamp.format(run.finishedAt))\(asOf)): \(diff.new.count) new, \(run.resolved ?? 0) resolved, \(diff.persisting) persisting\n"
        } else {
            out += "Run \(run.id) (\(Timestamp.format(run.finishedAt))\(asOf)) is the first successful run: all \(diff.new.count) findings are new\n"
        }
        out += section("NEW", diff.new)
        out += section("RESOLVED", diff.resolved)
        return out
    }

    private static func section(_ title: String, _ findings: [RecordedFinding]) -> String {
        guard !findings.isEmpty else { return "" }
        var out = "\n\(title) (\(findings.count))\n"
        for finding in findings {
            var who = [finding.samAccountName ?? finding.userPrincipalName ?? finding.distinguishedName ?? finding.domain ?? "tenant"]
            if let upn = finding.userPrincipalName, upn != who[0] { who.append(upn) }
            if let domain = finding.domain, domain != who[0] { who.append("(\(domain))") }
            out += "  \(finding.code)  \(finding.severity)  \(who.joined(separator: "  "))\n"
            out += "    \(oneLine(finding.message))\n"
        }
        return out
    }

    private static func number(_ value: Int?) -> String { value.map(String.init) ?? "-" }

    /// How much of a failed run's message the runs table shows.
    static let failureWidth = 70

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    // MARK: JSON

    public static func json(path: String, runs: [RunSummary], diff: RunDiff?, version: String, probes: [ProbeRecord] = []) -> String {
        // One top-level key per line, one run or finding per line: diffs and greps well.
        var top = MultilineJSONObject()
        top.add("tool", "phs-check")
        top.add("version", version)
        top.add("history", path)
        top.add("runs", json: MultilineJSONObject.array(runs.map(runJSON), indent: 4))
        if let diff {
            var detail = JSONObjectWriter()
            detail.add("id", diff.run.id)
            detail.add("succeeded", diff.run.succeeded)
            detail.add("previousRun", diff.run.previousRunId)
            detail.add("persisting", diff.persisting)
            detail.add("new", json: findingsJSON(diff.new))
            detail.add("resolved", json: findingsJSON(diff.resolved))
            top.add("run", json: detail.finish())
        } else {
            top.add("run", json: "null")
        }
        top.add("probes", json: MultilineJSONObject.array(probes.map(probeJSON), indent: 4))
        return top.finish()
    }

    private static func probeJSON(_ probe: ProbeRecord) -> String {
        var w = JSONObjectWriter()
        w.add("id", probe.id)
        w.add("startedAt", Timestamp.format(probe.startedAt))
        w.add("finishedAt", Timestamp.format(probe.finishedAt))
        w.add("version", probe.toolVersion)
        w.add("canary", probe.canary)
        w.add("outcome", probe.outcome.rawValue)
        w.add("changedAt", probe.changedAt.map(Timestamp.format))
        w.add("arrivedAt", probe.arrivedAt.map(Timestamp.format))
        w.add("seenAt", probe.seenAt.map(Timestamp.format))
        w.add("polls", probe.polls)
        var latency = JSONObjectWriter()
        w.add("signedInAt", probe.signedInAt.map(Timestamp.format))
        for (stage, value) in [("reset", probe.resetSeconds), ("arrival", probe.arrivalSeconds), ("observed", probe.observedSeconds),
                               ("signin", probe.signinSeconds)] {
            latency.add(stage, json: value.map(ProbeReport.number) ?? "null")
        }
        w.add("latencySeconds", json: latency.finish())
        w.add("message", probe.message)
        return w.finish()
    }

    private static func runJSON(_ run: RunSummary) -> String {
        var w = JSONObjectWriter()
        w.add("id", run.id)
        w.add("startedAt", Timestamp.format(run.startedAt))
        w.add("finishedAt", Timestamp.format(run.finishedAt))
        w.add("succeeded", run.succeeded)
        if let failure = run.failure { w.add("failure", failure) }
        w.add("version", run.toolVersion)
        if run.succeeded {
            w.add("asOf", run.asOf.map(Timestamp.format))
            w.add("asOfSource", run.asOfSource)
            var directory = JSONObjectWriter()
            directory.add("source", run.directorySource)
            directory.add("baseDN", run.baseDN)
            directory.add("users", run.directoryUsers)
            w.add("directory", json: directory.finish())
            var cloud = JSONObjectWriter()
            cloud.add("source", run.cloudSource)
            cloud.add("format", run.cloudFormat)
            cloud.add("users", run.cloudUsers)
            w.add("cloud", json: cloud.finish())
            w.add("matched", run.matched)
            var bySeverity = JSONObjectWriter()
            bySeverity.add("error", run.errors)
            bySeverity.add("warning", run.warnings)
            bySeverity.add("info", run.infos)
            w.add("bySeverity", json: bySeverity.finish())
            w.add("findings", run.findings)
            w.add("new", run.newFindings)
            w.add("resolved", run.resolved)
            w.add("previousRun", run.previousRunId)
        }
        return w.finish()
    }

    private static func findingsJSON(_ findings: [RecordedFinding]) -> String {
        let items = findings.map { finding -> String in
            var w = JSONObjectWriter()
            w.add("code", finding.code)
            w.add("severity", finding.severity)
            w.add("domain", finding.domain)
            w.add("samAccountName", finding.samAccountName)
            w.add("userPrincipalName", finding.userPrincipalName)
            w.add("distinguishedName", finding.distinguishedName)
            w.add("message", finding.message)
            w.add("identity", finding.identity)
            return w.finish()
        }
        return MultilineJSONObject.array(items, indent: 6)
    }
}
