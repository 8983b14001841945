public import SyncAudit
public import Foundation

/// `--format html`: one self-contained page for people who would rather not read JSON — to mail
/// round, attach to a ticket or open from a share. No external assets (it works offline, and a
/// Content-Security-Policy of hashes forbids anything else, so even a name that slipped past
/// escaping could not run script). It shows the tenant findings first, summary cards, where the
/// inputs came from, a histogram of how long the missing changes have waited, with history the
/// trend of the last runs and the resolved findings, the findings by container, and the findings
/// table: sortable by clicking a header, filtered by text (any of its words), severity, status
/// and container (`#q=alice` in the URL pre-fills the filter). Without JavaScript the first
/// `renderedRows` findings are there, in report order; the page's script makes the rest from
/// data. Every count is grouped by threes (`num`), every percentage cut to two decimals
/// (`percent`). Light and dark colour schemes, and a print style (docs/FORMATS.md "HTML").
public enum HTMLReport {
    /// Findings written out as table rows (all a reader without JavaScript sees); those after
    /// them are carried as data (`FindingsData`) and made into rows by the page's script as they
    /// are shown, 200 at a time, so that a page of 100,000 findings stays small and opens at once.
    public static let renderedRows = 200

    public static func render(_ report: AuditReport, renderedRows: Int = renderedRows) -> String {
        let report = markingAccepted(report)
        let settings = report.result.settings
        let errors = report.count(.error), warnings = report.count(.warning), infos = report.count(.info)
        let script = Self.script
        var h = head(title: title(report), version: report.version, script: script)

        // Header and verdict.
        let verdict: (String, String) = if errors > 0 {
            ("error", "\(num(errors)) \(errors == 1 ? "error needs" : "errors need") action")
        } else if !report.warnings.isEmpty {
            ("warning", "Not certain: \(num(report.warnings.count)) run \(report.warnings.count == 1 ? "warning" : "warnings")")
        } else if warnings > 0 {
            ("warning", "\(num(warnings)) \(warnings == 1 ? "warning" : "warnings") to review")
        } else if infos > 0 {
            ("ok", "In sync \u{2014} \(num(infos)) \(infos == 1 ? "note" : "notes")")
        } else {
            ("ok", "All in sync")
        }
        h += "<header class=\"top\">\n<div>\n<h1>Password hash sync audit</h1>\n"
        h += "<p class=\"sub\">\(esc(report.directory.baseDN ?? report.directory.source)) \u{2192} Entra ID \u{00B7} as of \(time(settings.asOf)) \u{00B7} phs-check \(esc(report.version))</p>\n</div>\n"
        h += "<div class=\"verdict verdict-\(verdict.0)\" role=\"status\">\(esc(verdict.1))</div>\n</header>\n<main>\n"

        h += warningsSection(report.warnings)

        // Tenant and domain findings: a whole tenant or domain is affected, so they come before anything else.
        let tenant = report.findings.filter { $0.scope != .user }
        if !tenant.isEmpty {
            h += "<section class=\"tenant\" aria-label=\"Tenant and domain findings\">\n"
            for finding in tenant {
                let sev = finding.severity.rawValue
                let affects = finding.scope == .domain ? "affects the domain \(esc(finding.domain ?? ""))" : "affects the whole tenant"
                h += "<article class=\"alert sev-\(sev)\">\n<h2><span class=\"badge sev-\(sev)\">\(sev)</span> "
                h += "<a class=\"code\" href=\"#code-\(finding.code.rawValue)\">\(finding.code.rawValue)</a> <span class=\"scope\">\(affects)</span>"
                if let status = finding.status { h += " <span class=\"status status-\(status.rawValue)\">\(status.rawValue)</span>" }
                h += "</h2>\n<p>\(esc(finding.message))</p>\n<p><strong>Next step:</strong> \(esc(finding.nextStep))</p>\n</article>\n"
            }
            h += "</section>\n"
        }

        // Summary cards.
        h += "<section class=\"cards\" aria-label=\"Summary\">\n"
        h += card("Errors", errors, "sev-error", note: "act on these")
        h += card("Warnings", warnings, "sev-warning", note: "review")
        h += card("Info", infos, "sev-info", note: "no action needed")
        h += card("Matched", report.result.matched, "", note: "of \(num(report.result.directoryUsers)) directory users")
        h += card("In sync", report.result.inSync, "good", note: report.result.matched > 0
            ? "\(percent(report.result.inSync, of: report.result.matched)) of matched users" : "no matched users")
        h += card("Directory users", report.directory.users, "", note: "in scope")
        h += card("Cloud users", report.cloud.users, "", note: "in the export")
        if let resolved = report.resolved { h += card("Resolved", resolved, "good", note: "since the previous run") }
        h += "</section>\n"

        // The run's inputs, and the chart.
        h += "<div class=\"row\">\n<section class=\"panel run\" aria-labelledby=\"run-h\">\n<h2 id=\"run-h\">This run</h2>\n<dl>\n"
        h += "<dt>Directory</dt><dd>\(esc(report.directory.source))"
        if let base = report.directory.baseDN { h += "<br><span class=\"muted\">base</span> \(esc(base))" }
        h += "<br><span class=\"muted\">\(num(report.directory.users)) users</span></dd>\n"
        h += "<dt>Cloud export</dt><dd>\(esc(report.cloud.source))<br><span class=\"muted\">\(esc(report.cloud.format)) \u{00B7} \(num(report.cloud.users)) users</span></dd>\n"
        h += "<dt>As of</dt><dd>\(time(settings.asOf))<br><span class=\"muted\">\(asOfSource(settings.asOfSource))</span></dd>\n"
        h += "<dt>Generated</dt><dd>\(time(report.generatedAt))</dd>\n"
        h += "<dt>Tolerances</dt><dd>grace \(duration(settings.grace)), max clock skew \(duration(settings.maxSkew))\(settings.forcePasswordChangeOnLogon ? "<br>temporary passwords sync" : "")\(settings.selectivePHS == .exclude ? "" : "<br>selective PHS: \(settings.selectivePHS.rawValue)")</dd>\n"
        let statuses = report.findings.compactMap(\.status)
        if !statuses.isEmpty || report.resolved != nil {
            let new = statuses.filter { $0 == .new }.count, persisting = statuses.count - new
            var parts = ["\(num(new)) new", "\(num(persisting)) persisting"]
            if let resolved = report.resolved { parts.append("\(num(resolved)) resolved") }
            h += "<dt>History</dt><dd>\(parts.joined(separator: " \u{00B7} "))<br><span class=\"muted\">compared with the previous recorded run</span></dd>\n"
        }
        h += "</dl>\n"
        h += "</section>\n"
        h += chart(report)
        h += "</div>\n"
        if let history = report.history {
            h += "<div class=\"row history\">\n" + trendChart(history) + resolvedPanel(history, count: report.resolved) + "</div>\n"
        }
        h += domainsPanel(report)
        let containers = report.containers
        h += containersPanel(containers)

        h += findingsTable(report, renderedRows: renderedRows, containers: !containers.isEmpty)
        h += guide(report)
        h += "</main>\n<footer>Generated by phs-check \(esc(report.version)) at \(time(report.generatedAt)). Times are UTC. This file is self-contained and needs no network.</footer>\n"
        h += "<script>\(script)</script>\n</body>\n</html>\n"
        return h
    }

    /// The page a failed run leaves in place of the report (`--format html --output FILE`), so
    /// that a published page never looks normal after a failed night: what failed, when, and
    /// when the last good report was made (with `--history`).
    public static func renderFailure(at date: Date, message: String?, lastGoodReport: Date?, version: String) -> String {
        var h = head(title: "phs-check: the run FAILED \u{00B7} \(Timestamp.format(date))", version: version, script: nil)
        h += "<header class=\"top\">\n<div>\n<h1>Password hash sync audit</h1>\n<p class=\"sub\">phs-check \(esc(version))</p>\n</div>\n"
        h += "<div class=\"verdict verdict-error\" role=\"status\">The run failed: no result</div>\n</header>\n<main>\n"
        h += "<section class=\"tenant\" aria-label=\"Failure\">\n<article class=\"alert sev-error\">\n"
        h += "<h2><span class=\"badge sev-error\">failed</span> The run at \(time(date)) did not compare the two sides</h2>\n"
        h += "<p>\(esc(message ?? "The run failed; see the job's log."))</p>\n"
        if let lastGoodReport {
            h += "<p>The last successful run finished at \(time(lastGoodReport)). Nothing on this page replaces its findings: they may still stand.</p>\n"
        } else {
            h += "<p>No successful run is known (run with --history to keep track). Nothing on this page says the users are in sync.</p>\n"
        }
        h += "</article>\n</section>\n</main>\n<footer>Generated by phs-check \(esc(version)) at \(time(date)). Times are UTC.</footer>\n</body>\n</html>\n"
        return h
    }

    // MARK: Parts

    /// The document up to `<body>`: the style inline, and a Content-Security-Policy that allows
    /// that style and `script` (by their hashes) and nothing else.
    static func head(title: String, version: String, script: String?) -> String {
        let scriptSource = script.map { " script-src '\(hash($0))'; img-src data:;" } ?? ""
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<meta name=\"color-scheme\" content=\"light dark\">\n"
        h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src '\(hash(style))';\(scriptSource) base-uri 'none'; form-action 'none'\">\n"
        h += "<meta name=\"generator\" content=\"phs-check \(esc(version))\">\n"
        h += "<title>\(esc(title))</title>\n"
        return h + "<style>\(style)</style>\n</head>\n<body>\n"
    }

    static func title(_ report: AuditReport) -> String {
        let errors = report.count(.error), warnings = report.count(.warning) + report.warnings.count
        let state = errors > 0 ? "\(num(errors)) \(errors == 1 ? "error" : "errors")"
            : warnings > 0 ? "\(num(warnings)) \(warnings == 1 ? "warning" : "warnings")" : "in sync"
        return "phs-check: \(state) \u{00B7} as of \(Timestamp.format(report.result.settings.asOf))"
    }

    /// The run's warnings, above everything else: a published page must not look certain when
    /// the run was not.
    static func warningsSection(_ warnings: [RunWarning]) -> String {
        guard !warnings.isEmpty else { return "" }
        var h = "<section class=\"tenant warnings\" aria-label=\"Warnings about this run\">\n<article class=\"alert sev-warning\">\n"
        h += "<h2><span class=\"badge sev-warning\">warning</span> This result is less than certain</h2>\n<ul>\n"
        for warning in warnings {
            h += "<li><code>\(warning.code.rawValue)</code> \(esc(warning.message))</li>\n"
        }
        return h + "</ul>\n</article>\n</section>\n"
    }

    static func card(_ label: String, _ value: Int, _ kind: String, note: String) -> String {
        // A zero count of findings is good news, not an alarm: no severity colour.
        let kind = value == 0 && kind.hasPrefix("sev-") ? "zero" : kind
        return "<div class=\"card \(kind)\"><div class=\"label\">\(esc(label))</div><div class=\"value\">\(num(value))</div><div class=\"note\">\(esc(note))</div></div>\n"
    }

    /// The findings table; `containers`: the page has a Containers panel, whose buttons filter it.
    static func findingsTable(_ report: AuditReport, renderedRows: Int, containers: Bool = false) -> String {
        var h = "<section class=\"panel findings\" aria-labelledby=\"findings-h\">\n"
        guard !report.findings.isEmpty else {
            h += "<h2 id=\"findings-h\">Findings</h2>\n"
            h += "<div class=\"empty\"><div class=\"check\" aria-hidden=\"true\">\u{2713}</div><p><strong>No findings.</strong> Every password change in scope reached Entra ID: \(num(report.result.inSync)) of \(num(report.result.matched)) matched users are in sync, and nothing else needs attention.</p></div>\n"
            return h + "</section>\n"
        }
        h += "<h2 id=\"findings-h\">Findings <span class=\"muted\" id=\"shown\">\(num(report.findings.count)) \(report.findings.count == 1 ? "finding" : "findings")</span></h2>\n"
        let settings = report.result.settings
        let withStatus = report.findings.contains { $0.status != nil }
        h += "<div class=\"controls\">\n<input type=\"search\" id=\"filter\" placeholder=\"Filter: alice bob shows both \u{2014} user, UPN, DN, code, text\u{2026}\" aria-label=\"Filter findings\" aria-describedby=\"filter-hint\" autocomplete=\"off\">\n"
        for severity in [Severity.error, .warning, .info] {
            let n = report.count(severity)
            h += "<label class=\"toggle sev-\(severity.rawValue)\"><input type=\"checkbox\" data-severity=\"\(severity.rawValue)\" checked\(n == 0 ? " disabled" : "")> \(label(severity)) <b>\(num(n))</b></label>\n"
        }
        if withStatus {
            let new = report.findings.reduce(0) { $0 + ($1.status == .new ? 1 : 0) }
            let persisting = report.findings.reduce(0) { $0 + ($1.status == .persisting ? 1 : 0) }
            h += "<label class=\"toggle\">Status <select id=\"status-filter\" aria-label=\"Show findings by status\">"
            h += "<option value=\"\">all</option><option value=\"new\">new (\(num(new)))</option><option value=\"persisting\">persisting (\(num(persisting)))</option></select></label>\n"
        }
        h += "</div>\n"
        h += "<p class=\"hint\" id=\"filter-hint\">Words separated by spaces match any of them: <code>alice bob</code> shows the findings about alice and those about bob. Quote words to match them together: <code>\"OU=Sales Team\"</code>.</p>\n"
        if containers {
            h += "<p class=\"container-filter\" id=\"container-filter\" hidden>Only the container <code id=\"container-name\"></code> <button type=\"button\" id=\"container-clear\">Show all containers</button></p>\n"
        }
        let byCode = codesBySeverity(report)
        h += "<ul class=\"bycode\" aria-label=\"Show one code\">\n"
        for (code, n) in byCode {
            h += "<li><button type=\"button\" class=\"chip sev-\(code.severity.rawValue)\" data-filter=\"\(code.rawValue)\" title=\"Show only \(code.rawValue)\"><span class=\"dot\"></span>\(code.rawValue) <b>\(num(n))</b></button></li>\n"
        }
        h += "</ul>\n"
        let domains = report.result.domains.filter { $0.status != .notRead }.map(\.name)
        if domains.count > 1 {
            h += "<ul class=\"bycode\" aria-label=\"Show one domain\">\n"
            for domain in domains {
                let n = report.findings.reduce(0) { $0 + ($1.domain == domain ? 1 : 0) }
                h += "<li><button type=\"button\" class=\"chip\" data-filter=\"\(esc(domain))\" title=\"Show only the domain \(esc(domain))\">\(esc(domain)) <b>\(num(n))</b></button></li>\n"
            }
            h += "</ul>\n"
        }
        h += "<div class=\"scroll\">\n<table id=\"findings\">\n"
        var headers: [(String, String)] = [("Severity", "sev"), ("Code", "code"), ("User \u{00B7} UPN", "user"),
                                           ("On-prem pwdLastSet", "time"), ("Cloud last change", "time"), ("Matched by", "key")]
        if withStatus { headers.append(("Status", "status")) }
        headers.append(("What happened \u{00B7} command", "message"))
        h += "<colgroup>" + headers.map { "<col class=\"col-\($0.1)\">" }.joined() + "</colgroup>\n<thead><tr>"
        for (name, _) in headers {
            h += "<th scope=\"col\"><button type=\"button\" class=\"sort\">\(name)</button></th>"
        }
        h += "</tr></thead>\n<tbody>\n"
        // Tenant and domain findings come first in report order: they are always rows.
        let rendered = max(renderedRows, report.findings.prefix { $0.scope != .user }.count)
        for finding in report.findings.prefix(rendered) {
            let f = FindingFields(finding)
            let sev = finding.severity.rawValue
            let subject = finding.scope == .tenant ? "tenant" : finding.scope == .domain ? (f.domain ?? "")
                : (f.samAccountName ?? f.userPrincipalName ?? f.cloudId ?? "")
            h += "<tr class=\"sev-\(sev)\" data-severity=\"\(sev)\" data-subject=\"\(esc(subject))\""
            if withStatus, let status = f.status { h += " data-status=\"\(status)\"" }
            h += ">"
            h += "<td data-sort=\"\(rank(finding.severity))\"><span class=\"badge sev-\(sev)\">\(sev)</span></td>"
            h += "<td><a class=\"code\" href=\"#code-\(f.code)\">\(f.code)</a></td>"
            if finding.scope == .tenant {
                h += "<td data-sort=\"\"><em>whole tenant</em></td>"
            } else if finding.scope == .domain {
                h += "<td data-sort=\"\"><em>whole domain</em><div class=\"domain\">\(esc(f.domain ?? ""))</div></td>"
            } else {
                h += "<td data-sort=\"\(esc((f.samAccountName ?? "").lowercased()))\">"
                h += f.samAccountName.map { "<strong class=\"sam\">\(esc($0))</strong>" } ?? "<em>no directory user</em>"
                if let upn = f.userPrincipalName { h += "<div class=\"upn\">\(breakableUPN(upn))</div>" }
                if let dn = f.distinguishedName { h += "<div class=\"dn\">\(breakable(dn))</div>" }
                if domains.count > 1, let domain = f.domain { h += "<div class=\"domain\">\(esc(domain))</div>" }
                h += "</td>"
            }
            // On-prem time, with how long it has waited for the missing and pending changes.
            if let date = finding.directoryUser?.pwdLastSet.date {
                h += "<td class=\"time\" data-sort=\"\(Timestamp.format(date))\">\(time(date, stacked: true))"
                if finding.code == .passwordNotSynced || finding.code == .passwordSyncPending {
                    h += "<div class=\"waited sev-\(sev)\">waited \(duration(settings.asOf.timeIntervalSince(date)))</div>"
                }
                h += "</td>"
            } else if finding.directoryUser?.pwdLastSet == .mustChange {
                h += "<td class=\"time\" data-sort=\"\"><span class=\"muted\">0 (must change)</span></td>"
            } else {
                h += "<td class=\"time\" data-sort=\"\">\u{2014}</td>"
            }
            if let date = finding.cloudUser?.lastPasswordChangeDateTime {
                h += "<td class=\"time\" data-sort=\"\(Timestamp.format(date))\">\(time(date, stacked: true))</td>"
            } else {
                h += "<td class=\"time\" data-sort=\"\">\(finding.cloudUser != nil && finding.scope == .user ? "<span class=\"muted\">never</span>" : "\u{2014}")</td>"
            }
            h += "<td>\(f.matchedBy ?? "\u{2014}")</td>"
            if withStatus { h += statusCell(finding) }
            h += "<td class=\"message\">\(breakable(f.message))\(f.command.map { "<code class=\"cmd\">\(breakableCommand($0))</code>" } ?? "")</td>"
            h += "</tr>\n"
        }
        h += "</tbody>\n</table>\n</div>\n<p class=\"nomatch\" id=\"nomatch\" hidden>No finding matches the filter.</p>\n"
        h += "<p class=\"more\"><button type=\"button\" id=\"more\" hidden></button></p>\n"
        if report.findings.count > rendered {
            let rest = report.findings.count - rendered
            h += "<p class=\"truncated\" id=\"truncated\">The first \(num(rendered)) of \(num(report.findings.count)) findings are listed here; the other \(num(rest)) are in this file as data, shown when JavaScript is on. The CSV and JSON reports list them all.</p>\n"
            h += "<script type=\"application/json\" id=\"findings-data\">"
            h += FindingsData(report.findings[rendered...], asOf: settings.asOf, domains: domains.count > 1, status: withStatus).json
            h += "</script>\n"
        }
        h += "</section>\n"
        return h
    }

    /// The Status cell of a run with history: new or persisting, and (when the history knows
    /// them) when the finding was first recorded and for how many runs in a row it has been
    /// open. Sorted by status, then by runs open. The page's script makes the same cell.
    static func statusCell(_ finding: Finding) -> String {
        guard let status = finding.status?.rawValue else { return "<td data-sort=\"\">\u{2014}</td>" }
        var h = "<td data-sort=\"\(statusKey(status, runsOpen: finding.runsOpen))\"><span class=\"status status-\(status)\">\(status)</span>"
        if let firstSeen = finding.firstSeen {
            let iso = Timestamp.format(firstSeen)
            h += "<div class=\"seen\">first seen <time datetime=\"\(iso)\">\(iso.prefix(10))</time></div>"
        }
        if let runs = finding.runsOpen {
            h += "<div class=\"seen\">open for \(num(runs)) \(runs == 1 ? "run" : "runs")</div>"
        }
        return h + "</td>"
    }

    /// The Status column's sort key: the status, then the runs open as six digits.
    static func statusKey(_ status: String, runsOpen: Int?) -> String {
        let runs = String(min(max(runsOpen ?? 0, 0), 999_999))
        return status + " " + String(repeating: "0", count: 6 - runs.count) + runs
    }

    /// One row per domain when the run covers several, or left one out: what was read and
    /// found there, or why it was not judged.
    static func domainsPanel(_ report: AuditReport) -> String {
        guard report.showsDomains else { return "" }
        let domains = report.result.domains
        var h = "<section class=\"panel domains\" aria-labelledby=\"domains-h\">\n<h2 id=\"domains-h\">Domains</h2>\n"
        h += "<table>\n<thead><tr><th scope=\"col\">Domain</th><th scope=\"col\">Read from</th><th scope=\"col\">Directory users</th><th scope=\"col\">Matched</th><th scope=\"col\">Errors</th><th scope=\"col\">Warnings</th><th scope=\"col\">Info</th><th scope=\"col\">Cloud users not judged</th></tr></thead>\n<tbody>\n"
        for summary in domains {
            h += "<tr data-status=\"\(summary.status.rawValue)\"><th scope=\"row\">\(esc(summary.name))</th>"
            switch summary.status {
            case .read:
                h += "<td>\(esc(summary.domain?.source ?? ""))</td><td>\(num(summary.directoryUsers))</td><td>\(num(summary.matched))</td>"
                h += "<td>\(num(summary.errors))</td><td>\(num(summary.warnings))</td><td>\(num(summary.infos))</td>"
            case .unreachable:
                h += "<td colspan=\"6\"><span class=\"badge sev-error\">not read</span> \(esc(summary.domain?.failure ?? ""))</td>"
            case .notRead:
                h += "<td colspan=\"6\"><span class=\"muted\">not in this run: its cloud users are out of scope, not orphans</span></td>"
            }
            h += "<td>\(num(summary.cloudUsersOutOfScope))</td></tr>\n"
        }
        return h + "</tbody>\n</table>\n</section>\n"
    }

    /// How many containers the Containers panel lists: those with the most findings.
    static let containersShown = 20

    /// The user findings by parent container (`AuditReport.containers`), the most first: a
    /// cluster in one OU points at that OU's scope or policy. Each container is a button that
    /// shows only the findings whose DN's parent it is (the page's script).
    static func containersPanel(_ containers: [ContainerSummary]) -> String {
        guard !containers.isEmpty else { return "" }
        var h = "<section class=\"panel containers\" aria-labelledby=\"containers-h\">\n<h2 id=\"containers-h\">Containers "
        h += "<span class=\"muted\">user findings by the OU or container that holds the user</span></h2>\n"
        h += "<div class=\"wide\">\n<table>\n<thead><tr><th scope=\"col\">Container</th><th scope=\"col\" class=\"num\">Findings</th><th scope=\"col\" class=\"num\">Errors</th>"
        h += "<th scope=\"col\" class=\"num\">Warnings</th><th scope=\"col\" class=\"num\">Info</th><th scope=\"col\">Most frequent codes</th></tr></thead>\n<tbody>\n"
        for summary in containers.prefix(containersShown) {
            h += "<tr><th scope=\"row\"><button type=\"button\" class=\"container-link\" data-container=\"\(esc(summary.container))\" "
            h += "title=\"Show only the findings in this container\">\(breakable(summary.container))</button></th>"
            h += "<td class=\"num\">\(num(summary.total))</td>"
            for n in [summary.errors, summary.warnings, summary.infos] {
                h += n == 0 ? "<td class=\"num zero\">0</td>" : "<td class=\"num\">\(num(n))</td>"
            }
            let codes = summary.codes.prefix(3).map { "<code>\($0.code.rawValue)</code> \(num($0.count))" }
            let others = summary.codes.count > 3 ? " \u{00B7} \(num(summary.codes.count - 3)) more" : ""
            h += "<td class=\"codes\">\(codes.joined(separator: " \u{00B7} "))\(others)</td></tr>\n"
        }
        h += "</tbody>\n</table>\n</div>\n"
        if containers.count > containersShown {
            let rest = containers.dropFirst(containersShown)
            let findings = rest.reduce(0) { $0 + $1.total }
            h += "<p class=\"note\">These are the \(containersShown) containers with the most findings of \(num(containers.count)); "
            h += "the other \(num(rest.count)) hold \(num(findings)) \(findings == 1 ? "finding" : "findings"). The filter finds them by their DN.</p>\n"
        }
        return h + "</section>\n"
    }

    /// How many resolved findings the page lists (`phs-check history` lists them all).
    static let resolvedShown = 100

    /// With history: the findings of the previous recorded run that this run no longer has.
    static func resolvedPanel(_ history: HistoryContext, count: Int?) -> String {
        let resolved = history.resolved
        var h = "<section class=\"panel resolved\" aria-labelledby=\"resolved-h\">\n"
        h += "<h2 id=\"resolved-h\">Resolved since the previous run <span class=\"muted\">\(num(count ?? resolved.count))</span></h2>\n"
        guard !resolved.isEmpty else {
            return h + "<p class=\"note\">No finding of the previous recorded run is gone.</p>\n</section>\n"
        }
        h += "<div class=\"scroll-y\">\n<table>\n<thead><tr><th scope=\"col\">User \u{00B7} UPN</th><th scope=\"col\">Code</th><th scope=\"col\">First seen</th></tr></thead>\n<tbody>\n"
        for finding in resolved.prefix(resolvedShown) {
            h += "<tr><td>"
            if let sam = finding.samAccountName {
                h += "<strong class=\"sam\">\(esc(sam))</strong>"
            } else if finding.userPrincipalName == nil && finding.distinguishedName == nil {
                h += "<em>\(finding.domain != nil ? "whole domain" : "whole tenant")</em>"
            } else {
                h += "<em>no directory user</em>"
            }
            if let upn = finding.userPrincipalName { h += "<div class=\"upn\">\(breakableUPN(upn))</div>" }
            if let dn = finding.distinguishedName { h += "<div class=\"dn\">\(breakable(dn))</div>" }
            if let domain = finding.domain { h += "<div class=\"domain\">\(esc(domain))</div>" }
            h += "</td><td><code>\(esc(finding.code))</code></td><td class=\"time\">"
            h += finding.firstSeen.map { time($0, stacked: true) } ?? "\u{2014}"
            h += "</td></tr>\n"
        }
        h += "</tbody>\n</table>\n</div>\n"
        if resolved.count > resolvedShown {
            h += "<p class=\"note\">The first \(num(resolvedShown)) of \(num(resolved.count)); <code>phs-check history</code> lists them all.</p>\n"
        }
        return h + "</section>\n"
    }

    /// The codes that occur, the most severe first, then the most frequent.
    static func codesBySeverity(_ report: AuditReport) -> [(code: FindingCode, count: Int)] {
        report.countsByCode.sorted { a, b in
            if a.code.severity != b.code.severity { return a.code.severity > b.code.severity }
            if a.count != b.count { return a.count > b.count }
            return a.code.rawValue < b.code.rawValue
        }
    }

    /// What each code that occurs means and what to do, the target of the table's code links.
    static func guide(_ report: AuditReport) -> String {
        let codes = codesBySeverity(report).map(\.code)
        guard !codes.isEmpty else { return "" }
        var h = "<section class=\"panel guide\" aria-labelledby=\"guide-h\">\n<h2 id=\"guide-h\">What the codes mean and what to do</h2>\n<dl>\n"
        for code in codes {
            let entry = code.entry
            h += "<dt id=\"code-\(code.rawValue)\"><span class=\"badge sev-\(code.severity.rawValue)\">\(code.severity.rawValue)</span> <code>\(code.rawValue)</code> \(esc(entry.title))</dt>"
            h += "<dd>\(esc(entry.meaning)) <strong>Next step:</strong> \(esc(entry.nextStep))</dd>\n"
        }
        return h + "</dl>\n</section>\n"
    }

    // MARK: Charts

    /// The histogram's buckets: lower bound inclusive, upper exclusive.
    static let buckets: [(label: String, upTo: TimeInterval)] = [
        ("< 1 h", 3600), ("1\u{2013}6 h", 6 * 3600), ("6\u{2013}24 h", 86_400),
        ("1\u{2013}3 d", 3 * 86_400), ("3\u{2013}7 d", 7 * 86_400), ("7\u{2013}30 d", 30 * 86_400), ("> 30 d", .infinity),
    ]

    /// The report with each accepted finding's message opened by its acceptance (`Accepted until
    /// DATE: REASON (FILE line N).`), so that every row of the page, written or made by its
    /// script from the data, says it; the counts already leave accepted findings out.
    static func markingAccepted(_ report: AuditReport) -> AuditReport {
        guard report.acceptedCount > 0 else { return report }
        var marked = report
        for index in marked.result.findings.indices {
            guard let accepted = marked.result.findings[index].accepted else { continue }
            marked.result.findings[index].message = "Accepted until \(Timestamp.formatDay(accepted.expires.addingTimeInterval(-1))): \(accepted.reason) (\(accepted.place)). "
                + marked.result.findings[index].message
        }
        return marked
    }

    /// Per bucket, how many not-synced and how many pending changes no exception accepts have
    /// waited that long (`AuditResult.waited`).
    static func histogram(_ report: AuditReport) -> [(notSynced: Int, pending: Int)] {
        var counts = Array(repeating: (notSynced: 0, pending: 0), count: buckets.count)
        for finding in report.findings where (finding.code == .passwordNotSynced || finding.code == .passwordSyncPending) && finding.accepted == nil {
            guard let age = report.result.waited(finding) else { continue }
            let index = buckets.firstIndex { age < $0.upTo } ?? buckets.count - 1
            if finding.code == .passwordNotSynced { counts[index].notSynced += 1 } else { counts[index].pending += 1 }
        }
        return counts
    }

    /// The plot area of a bar chart (in the SVG's own units; the SVG scales as a whole, so text
    /// and bars keep their proportions at any width) and its y axis. The left margin grows with
    /// the widest tick label, so that the rotated axis title never meets the labels.
    struct ChartFrame {
        static let width = 560.0, height = 250.0, top = 18.0, right = 10.0
        /// The rotated y axis title: its baseline's x, and the x its glyphs reach (12 px text).
        static let titleX = 14.0, titleRight = 17.0
        let bottom: Double
        let left: Double
        let step: Double
        let ceiling: Double
        var plotW: Double { Self.width - left - Self.right }
        var plotH: Double { Self.height - Self.top - bottom }

        init(peak: Int, bottom: Double = 50) {
            self.bottom = bottom
            step = HTMLReport.niceStep(Double(peak) / 4)
            ceiling = max(step, (Double(peak) / step).rounded(.up) * step)
            // The widest label is the ceiling's.
            let width = HTMLReport.textWidth(HTMLReport.num(Int(ceiling)))
            left = max(44, (Self.titleRight + 6 + width + 6).rounded(.up))
        }

        func y(_ value: Double) -> Double { Self.top + plotH - value / ceiling * plotH }

        /// The grid lines, the tick labels and the y axis title.
        func axes(title: String) -> String {
            var h = ""
            var tick = 0.0
            while tick <= ceiling + 0.001 {
                h += "<line class=\"grid\" x1=\"\(n(left))\" x2=\"\(n(Self.width - Self.right))\" y1=\"\(n(y(tick)))\" y2=\"\(n(y(tick)))\"/>"
                h += "<text class=\"tick y\" x=\"\(n(left - 6))\" y=\"\(n(y(tick) + 4))\" text-anchor=\"end\">\(HTMLReport.num(Int(tick)))</text>\n"
                tick += step
            }
            h += "<text class=\"axis-title y\" transform=\"translate(\(n(Self.titleX)) \(n(Self.top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(title)</text>\n"
            return h
        }

        func baseline() -> String {
            "<line class=\"axis\" x1=\"\(n(left))\" x2=\"\(n(Self.width - Self.right))\" y1=\"\(n(y(0)))\" y2=\"\(n(y(0)))\"/>\n"
        }

        private func n(_ value: Double) -> String { HTMLReport.n(value) }
    }

    static func chart(_ report: AuditReport) -> String {
        let counts = histogram(report)
        let total = counts.reduce(0) { $0 + $1.notSynced + $1.pending }
        var h = "<section class=\"panel chart\" aria-labelledby=\"chart-h\">\n<h2 id=\"chart-h\">How long the missing changes have waited</h2>\n"
        guard total > 0 else {
            h += "<div class=\"empty small\"><div class=\"check\" aria-hidden=\"true\">\u{2713}</div><p>No password change is waiting to reach Entra ID.</p></div>\n"
            return h + "</section>\n"
        }
        let notSynced = counts.reduce(0) { $0 + $1.notSynced }, pending = counts.reduce(0) { $0 + $1.pending }
        h += "<p class=\"legend\"><span class=\"key key-error\"></span>password-not-synced <b>\(num(notSynced))</b> <span class=\"key key-pending\"></span>password-sync-pending <b>\(num(pending))</b>"
        if let oldest = report.result.oldestNotSyncedAge {
            h += " <span class=\"oldest\">oldest: <b>\(duration(oldest))</b></span>"
        }
        h += "</p>\n"

        let frame = ChartFrame(peak: counts.map { $0.notSynced + $0.pending }.max() ?? 1)
        let description = zip(buckets, counts).map { "\($0.label): \(num($1.notSynced)) not synced, \(num($1.pending)) pending" }.joined(separator: "; ")
        h += "<svg class=\"histogram\" viewBox=\"0 0 \(n(ChartFrame.width)) \(n(ChartFrame.height))\" role=\"img\" aria-labelledby=\"chart-t chart-d\">"
        h += "<title id=\"chart-t\">Password changes not yet in Entra ID, by how long they have waited</title><desc id=\"chart-d\">\(esc(description))</desc>\n"
        h += frame.axes(title: "users")
        // Bars: not synced at the bottom, pending stacked on top, the total above.
        let slot = frame.plotW / Double(buckets.count), barW = slot * 0.62
        for (index, (bucket, count)) in zip(buckets, counts).enumerated() {
            let x = frame.left + slot * Double(index) + (slot - barW) / 2
            let base = frame.y(0), errTop = frame.y(Double(count.notSynced)), allTop = frame.y(Double(count.notSynced + count.pending))
            let tip = "\(bucket.label): \(num(count.notSynced)) not synced, \(num(count.pending)) pending"
            if count.notSynced > 0 {
                h += "<rect class=\"bar bar-error\" x=\"\(n(x))\" y=\"\(n(errTop))\" width=\"\(n(barW))\" height=\"\(n(base - errTop))\" rx=\"2\"><title>\(esc(tip))</title></rect>"
            }
            if count.pending > 0 {
                h += "<rect class=\"bar bar-pending\" x=\"\(n(x))\" y=\"\(n(allTop))\" width=\"\(n(barW))\" height=\"\(n(errTop - allTop))\" rx=\"2\"><title>\(esc(tip))</title></rect>"
            }
            let total = count.notSynced + count.pending
            if total > 0 {
                h += "<text class=\"value\" x=\"\(n(x + barW / 2))\" y=\"\(n(allTop - 5))\" text-anchor=\"middle\">\(num(total))</text>"
            }
            h += "<text class=\"tick x\" x=\"\(n(x + barW / 2))\" y=\"\(n(base + 17))\" text-anchor=\"middle\">\(esc(bucket.label))</text>\n"
        }
        h += frame.baseline()
        h += "<text class=\"axis-title x\" x=\"\(n(frame.left + frame.plotW / 2))\" y=\"\(n(ChartFrame.height - 8))\" text-anchor=\"middle\">time since the on-premises change, at as-of</text>\n"
        h += "</svg>\n</section>\n"
        return h
    }

    /// How many recorded runs the trend chart shows at most: the last ones.
    static let trendRuns = 30

    /// With history: the errors, warnings and infos of the last recorded runs, oldest first and
    /// this run last, as stacked bars (errors at the bottom) with the total above.
    static func trendChart(_ history: HistoryContext) -> String {
        let runs = Array(history.trend.suffix(trendRuns))
        var h = "<section class=\"panel runs\" aria-labelledby=\"trend-h\">\n"
        h += "<h2 id=\"trend-h\">Findings over the last \(runs.count == 1 ? "run" : "\(num(runs.count)) runs")</h2>\n"
        guard let last = runs.last else {
            return h + "<p class=\"note\">No run is recorded yet.</p>\n</section>\n"
        }
        h += "<p class=\"legend\"><span class=\"key key-error\"></span>errors <b>\(num(last.errors))</b> <span class=\"key key-warning\"></span>warnings <b>\(num(last.warnings))</b> "
        h += "<span class=\"key key-info\"></span>info <b>\(num(last.infos))</b> <span class=\"oldest\">new in this run: <b>\(num(last.new))</b></span></p>\n"
        func plural(_ n: Int, _ one: String, _ many: String) -> String { "\(num(n)) \(n == 1 ? one : many)" }
        func tip(_ run: HistoryContext.RunCounts) -> String {
            "Run \(run.runId), \(Timestamp.format(run.at)): \(plural(run.errors, "error", "errors")), "
                + "\(plural(run.warnings, "warning", "warnings")), \(num(run.infos)) info; \(num(run.new)) new"
        }
        let frame = ChartFrame(peak: runs.map { $0.errors + $0.warnings + $0.infos }.max() ?? 1, bottom: 58)
        h += "<svg class=\"trend\" viewBox=\"0 0 \(n(ChartFrame.width)) \(n(ChartFrame.height))\" role=\"img\" aria-labelledby=\"trend-t trend-d\" data-runs=\"\(runs.count)\">"
        h += "<title id=\"trend-t\">Findings of the last recorded runs, oldest first</title><desc id=\"trend-d\">\(esc(runs.map(tip).joined(separator: "; ")))</desc>\n"
        h += frame.axes(title: "findings")
        let slot = frame.plotW / Double(runs.count), barW = min(slot * 0.62, 48)
        // A label (run number, date) every `every` runs, counted back from this run, as many as fit.
        let labels = runs.map { "#\($0.runId)" }
        let labelW = max(textWidth("00-00"), labels.map(textWidth).max() ?? 0)
        let every = max(1, Int(((labelW + 8) / slot).rounded(.up)))
        // The totals above the bars only when the widest fits in a run's slot (the legend has this run's).
        let totals = runs.map { num($0.errors + $0.warnings + $0.infos) }
        let showTotals = totals.allSatisfy { textWidth($0) <= slot - 4 }
        for (index, run) in runs.enumerated() {
            let x = frame.left + slot * Double(index) + (slot - barW) / 2
            let this = index == runs.count - 1
            h += "<g class=\"run\(this ? " this" : "")\" data-run=\"\(run.runId)\"><title>\(esc(tip(run)))</title>"
            var below = 0
            for (kind, count) in [("error", run.errors), ("warning", run.warnings), ("info", run.infos)] where count > 0 {
                let top = frame.y(Double(below + count)), bottom = frame.y(Double(below))
                h += "<rect class=\"bar bar-\(kind)\" x=\"\(n(x))\" y=\"\(n(top))\" width=\"\(n(barW))\" height=\"\(n(bottom - top))\"/>"
                below += count
            }
            if showTotals {
                h += "<text class=\"value\" x=\"\(n(x + barW / 2))\" y=\"\(n(frame.y(Double(below)) - 5))\" text-anchor=\"middle\">\(totals[index])</text>"
            }
            if (runs.count - 1 - index) % every == 0 {
                let day = Timestamp.format(run.at).dropFirst(5).prefix(5)
                // Centred under the bar, but inside the plot's width.
                let center = min(max(x + barW / 2, frame.left + labelW / 2), ChartFrame.width - 2 - labelW / 2)
                h += "<text class=\"tick x\" x=\"\(n(center))\" y=\"\(n(frame.y(0) + 16))\" text-anchor=\"middle\">\(labels[index])</text>"
                h += "<text class=\"tick x date\" x=\"\(n(center))\" y=\"\(n(frame.y(0) + 32))\" text-anchor=\"middle\">\(day)</text>"
            }
            h += "</g>\n"
        }
        h += frame.baseline()
        h += "<text class=\"axis-title x\" x=\"\(n(frame.left + frame.plotW / 2))\" y=\"\(n(ChartFrame.height - 6))\" text-anchor=\"middle\">recorded runs, oldest first (run number, date)</text>\n"
        h += "</svg>\n</section>\n"
        return h
    }

    /// How wide a chart's 12 px label is at most, in the SVG's units, for the common sans fonts
    /// (DejaVu Sans, the widest of them, has 7.6 a digit): labels are digits, commas, `#` and `-`.
    static func textWidth(_ text: String) -> Double {
        text.reduce(0.0) { width, character in
            width + (character == "," || character == "." ? 4 : character == "-" ? 4.4 : character == "#" ? 10.1 : 7.7)
        }
    }

    /// 1, 2 or 5 times a power of ten, at least `raw` (and at least 1: counts are whole).
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 1 else { return 1 }
        var magnitude = 1.0
        while magnitude * 10 <= raw { magnitude *= 10 }
        for m in [1.0, 2, 5, 10] where m * magnitude >= raw { return m * magnitude }
        return 10 * magnitude
    }

    // MARK: Text

    /// Escapes text for HTML element content and quoted attribute values.
    static func esc(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// A DN (or a message, which may hold DNs) that may wrap after its commas (`<wbr>`), rather
    /// than inside a name.
    static func breakable(_ dn: String) -> String {
        esc(dn).replacingOccurrences(of: ",", with: ",<wbr>")
    }

    /// A UPN that wraps only after its `@` and its dots: `<wbr>` there, in a `white-space:nowrap`
    /// block (a `<wbr>` breaks even there; a hyphen does not). Escaped first: no entity holds
    /// `@` or `.`.
    static func breakableUPN(_ upn: String) -> String {
        var out = ""
        for character in esc(upn) {
            out.append(character)
            if character == "@" || character == "." { out += "<wbr>" }
        }
        return out
    }

    /// A command that wraps only at its spaces: `<wbr>` after each, in a `white-space:pre` block,
    /// which scrolls sideways when a quoted value is wider than the cell. A `<wbr>` adds no text:
    /// what is copied is the command.
    static func breakableCommand(_ command: String) -> String {
        esc(command).replacingOccurrences(of: " ", with: " <wbr>")
    }

    /// A UTC time that wraps between date and time in a narrow column.
    static func time(_ date: Date, stacked: Bool = false) -> String {
        let iso = Timestamp.format(date)
        let parts = iso.split(separator: "T", maxSplits: 1)
        guard parts.count == 2 else { return esc(iso) }
        // Seconds are enough to read; the machine-readable datetime keeps the fraction.
        let clock = parts[1].dropLast().prefix { $0 != "." }
        return "<time datetime=\"\(iso)\">\(parts[0])\(stacked ? "<br>" : " ")\(clock) UTC</time>"
    }

    static func duration(_ seconds: TimeInterval) -> String { HumanDuration.format(seconds) }

    /// A count as the page writes every count: a comma between each group of three digits
    /// (1,009 and 100,000), whatever the reader's locale, so that a page mailed round reads the
    /// same everywhere. The page's script groups the counts it writes by the same rule (`fmt`).
    static func num(_ value: Int) -> String {
        let digits = Array(String(value.magnitude))
        var out = value < 0 ? "-" : ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    /// `part` of `whole` in per cent, cut (never rounded) to two decimals, so that 98.999 % reads
    /// 98.99 % and only an exact 100 % reads 100 %. An exact value drops its trailing zeros
    /// (`50 %`, `12.5 %`); a cut one keeps both decimals (`33.33 %`, `99.00 %`). Above zero but
    /// under a hundredth: `<0.01 %`. The sign follows a no-break space.
    static func percent(_ part: Int, of whole: Int) -> String {
        guard whole > 0, part > 0 else { return "0\u{00A0}%" }
        let (hundredths, remainder) = (part * 10_000).quotientAndRemainder(dividingBy: whole)
        guard hundredths > 0 else { return "<0.01\u{00A0}%" }
        let units = hundredths / 100, fraction = hundredths % 100
        let two = fraction < 10 ? "0\(fraction)" : "\(fraction)"
        let decimals = remainder != 0 ? two : fraction == 0 ? "" : fraction % 10 == 0 ? "\(fraction / 10)" : two
        return num(units) + (decimals.isEmpty ? "" : "." + decimals) + "\u{00A0}%"
    }

    static func asOfSource(_ source: AsOfSource) -> String {
        switch source {
        case .option: "from --as-of"
        case .graph: "when the Microsoft Graph read began"
        case .inferred: "inferred: the newest time in the export"
        }
    }

    static func label(_ severity: Severity) -> String {
        switch severity {
        case .error: "Errors"
        case .warning: "Warnings"
        case .info: "Info"
        }
    }

    static func rank(_ severity: Severity) -> Int {
        switch severity {
        case .error: 3
        case .warning: 2
        case .info: 1
        }
    }

    /// An SVG coordinate: at most one decimal, no locale.
    static func n(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let a = abs(tenths)
        return a % 10 == 0 ? "\(sign)\(a / 10)" : "\(sign)\(a / 10).\(a % 10)"
    }

    /// A CSP source expression for an inline block: `sha256-<base64>`.
    static func hash(_ text: String) -> String {
        "sha256-" + Data(SHA256.digest(Array(text.utf8))).base64EncodedString()
    }

    // MARK: Style and script

    static let style = #"""

:root{--bg:#f4f6f9;--panel:#fff;--fg:#1c2530;--muted:#5d6b7a;--line:#dde3ea;--head:#eef2f6;
--error:#c62828;--error-bg:#fdecea;--warning:#a86100;--warning-bg:#fff4e0;--info:#1565c0;--info-bg:#e8f1fc;
--good:#2e7d32;--good-bg:#e9f5ea;--pending:#64a0e6;--shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.08);
color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0f141a;--panel:#18202a;--fg:#e4e9ef;--muted:#93a1b0;--line:#2a3542;--head:#1f2935;
--error:#ef6b6b;--error-bg:#3a1d1f;--warning:#f0a84a;--warning-bg:#3a2c17;--info:#6aa9f0;--info-bg:#172b43;
--good:#6cc070;--good-bg:#1a3320;--pending:#3d6fa8;--shadow:none}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1680px;margin:0 auto;padding:0 20px 24px}
h1{font-size:20px;margin:0}
h2{font-size:15px;margin:0 0 12px}
h3{font-size:13px;margin:16px 0 8px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
a{color:inherit}
code,.cmd,.dn{font-family:ui-monospace,"SFMono-Regular","Cascadia Mono",Consolas,"DejaVu Sans Mono",monospace;font-size:12px}
.muted{color:var(--muted)}
.top{display:flex;align-items:center;justify-content:space-between;gap:16px;max-width:1680px;margin:0 auto;padding:20px 20px 16px}
.sub{margin:4px 0 0;color:var(--muted)}
.verdict{font-weight:600;font-size:15px;padding:8px 16px;border-radius:999px;white-space:nowrap}
.verdict-error{background:var(--error-bg);color:var(--error)}
.verdict-warning{background:var(--warning-bg);color:var(--warning)}
.verdict-ok{background:var(--good-bg);color:var(--good)}
.tenant{display:grid;gap:10px;margin-bottom:16px}
.alert{background:var(--panel);border:1px solid var(--line);border-left:6px solid var(--info);border-radius:8px;padding:12px 16px;box-shadow:var(--shadow)}
.alert.sev-error{border-left-color:var(--error);background:var(--error-bg)}
.alert.sev-warning{border-left-color:var(--warning);background:var(--warning-bg)}
.alert h2{margin:0 0 4px;font-size:15px;display:flex;align-items:center;gap:8px;flex-wrap:wrap}
.alert p{margin:0}
.alert .scope{font-weight:400;color:var(--muted);font-size:13px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px;margin-bottom:16px}
.card{background:var(--panel);border:1px solid var(--line);border-top:4px solid var(--line);border-radius:8px;padding:10px 14px;box-shadow:var(--shadow)}
.card .label{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:28px;font-weight:650;line-height:1.2;font-variant-numeric:tabular-nums}
.card .note{font-size:12px;color:var(--muted)}
.card.sev-error{border-top-color:var(--error)}.card.sev-error .value{color:var(--error)}
.card.sev-warning{border-top-color:var(--warning)}.card.sev-warning .value{color:var(--warning)}
.card.sev-info{border-top-color:var(--info)}.card.sev-info .value{color:var(--info)}
.card.zero .value{color:var(--muted)}
.card.good{border-top-color:var(--good)}.card.good .value{color:var(--good)}
.row{display:grid;grid-template-columns:minmax(300px,5fr) minmax(340px,7fr);gap:16px;margin-bottom:16px}
@media (max-width:900px){.row{grid-template-columns:1fr}.top{flex-direction:column;align-items:flex-start}}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:16px;box-shadow:var(--shadow);min-width:0}
dl{margin:0}
.run dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px}
.run dt{color:var(--muted)}
.run dd{margin:0;overflow-wrap:anywhere}
.bycode{list-style:none;margin:0 0 12px;padding:0;display:flex;flex-wrap:wrap;gap:6px}
.chip{font:inherit;font-size:12px;display:inline-flex;align-items:center;gap:6px;border:1px solid var(--line);background:var(--head);color:var(--fg);border-radius:999px;padding:3px 10px;cursor:pointer}
.chip:hover,.chip.active{border-color:var(--fg)}
.chip .dot{width:8px;height:8px;border-radius:50%;background:var(--info)}
.chip.sev-error .dot{background:var(--error)}.chip.sev-warning .dot{background:var(--warning)}
.legend{margin:-4px 0 6px;color:var(--muted);font-size:13px;display:flex;align-items:center;gap:6px;flex-wrap:wrap}
.legend b{color:var(--fg);margin-right:10px}
.legend .oldest{margin-left:auto}
.key{display:inline-block;width:12px;height:12px;border-radius:2px}
.key-error{background:var(--error)}.key-pending{background:var(--pending)}.key-warning{background:var(--warning)}.key-info{background:var(--info)}
svg.histogram,svg.trend{width:100%;height:auto;display:block;max-height:300px}
.histogram .grid,.trend .grid{stroke:var(--line);stroke-width:1}
.histogram .axis,.trend .axis{stroke:var(--muted);stroke-width:1.2}
.histogram text,.trend text{fill:var(--muted);font-size:12px;font-family:inherit;font-variant-numeric:tabular-nums}
.histogram .value,.trend .value{fill:var(--fg);font-weight:600}
.trend .this .tick{fill:var(--fg);font-weight:600}
.bar-error{fill:var(--error)}.bar-pending{fill:var(--pending)}.bar-warning{fill:var(--warning)}.bar-info{fill:var(--info)}
.row.history{grid-template-columns:minmax(340px,7fr) minmax(300px,5fr)}
@media (max-width:900px){.row.history{grid-template-columns:1fr}}
.note{color:var(--muted);font-size:12.5px;margin:8px 0 0}
.scroll-y{max-height:300px;overflow-y:auto}
.wide{overflow-x:auto}
.resolved table,.containers table{table-layout:auto;border-collapse:collapse;width:100%}
.resolved th,.resolved td,.containers th,.containers td{padding:4px 8px;border-bottom:1px solid var(--line)}
.resolved thead th,.containers thead th{position:static;padding:4px 8px;font-size:11.5px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.containers th[scope=row]{font-weight:400}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.zero{color:var(--muted)}
td.codes{font-size:12.5px}
td.codes code{white-space:nowrap}
.resolved code{white-space:nowrap}
.domains,.containers{margin-bottom:16px}
.container-link{font:inherit;font-family:ui-monospace,"SFMono-Regular","Cascadia Mono",Consolas,"DejaVu Sans Mono",monospace;font-size:12px;text-align:left;background:none;border:0;padding:0;color:var(--fg);cursor:pointer;text-decoration:underline dotted var(--muted);overflow-wrap:break-word}
.container-link:hover,.container-link[aria-pressed=true]{color:var(--info)}
.hint{margin:-4px 0 10px;color:var(--muted);font-size:12.5px}
.hint code{background:var(--head);padding:0 4px;border-radius:3px}
.container-filter{margin:0 0 10px;padding:6px 10px;background:var(--info-bg);border-radius:6px;font-size:13px}
.container-filter code{overflow-wrap:break-word}
.container-filter button{font:inherit;font-size:12px;margin-left:8px;padding:1px 8px;border:1px solid var(--line);border-radius:4px;background:var(--panel);color:var(--fg);cursor:pointer}
#status-filter{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.seen{font-size:11.5px;color:var(--muted);margin-top:3px}
.seen time{white-space:nowrap}
.controls{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;margin-bottom:10px}
#filter{font:inherit;flex:1 1 280px;max-width:460px;padding:6px 10px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.toggle{display:inline-flex;align-items:center;gap:6px;cursor:pointer;user-select:none}
.toggle b{font-weight:600}
table{border-collapse:collapse;width:100%;table-layout:fixed}
.col-sev{width:92px}.col-code{width:218px}.col-user{width:18%}.col-time{width:122px}.col-key{width:116px}.col-status{width:118px}
@media (max-width:1320px){.scroll{overflow-x:auto}#findings{min-width:1260px}}
th,td{text-align:left;vertical-align:top;padding:8px 10px;border-bottom:1px solid var(--line)}
thead th{background:var(--head);position:sticky;top:0;z-index:1;padding:0;vertical-align:bottom}
th .sort{font:inherit;font-weight:600;font-size:11.5px;color:var(--muted);background:none;border:0;padding:8px 10px;width:100%;text-align:left;cursor:pointer;text-transform:uppercase;letter-spacing:.03em;white-space:normal}
th .sort::after{content:"\2195";opacity:.35;margin-left:6px}
th[aria-sort=ascending] .sort::after{content:"\25B2";opacity:.9}
th[aria-sort=descending] .sort::after{content:"\25BC";opacity:.9}
tbody tr:hover{background:var(--head)}
tbody tr.sev-error td:first-child{box-shadow:inset 4px 0 var(--error)}
tbody tr.sev-warning td:first-child{box-shadow:inset 4px 0 var(--warning)}
tbody tr.sev-info td:first-child{box-shadow:inset 4px 0 var(--info)}
.badge{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;padding:2px 8px;border-radius:4px}
.badge.sev-error{background:var(--error-bg);color:var(--error);border:1px solid var(--error)}
.badge.sev-warning{background:var(--warning-bg);color:var(--warning);border:1px solid var(--warning)}
.badge.sev-info{background:var(--info-bg);color:var(--info);border:1px solid var(--info)}
a.code{font-family:ui-monospace,"SFMono-Regular","Cascadia Mono",Consolas,"DejaVu Sans Mono",monospace;font-size:12px;text-decoration:none;border-bottom:1px dotted var(--muted);white-space:nowrap}
.dn{color:var(--muted);overflow-wrap:anywhere;font-size:11.5px;margin-top:2px}
.upn{margin-top:1px;white-space:nowrap;overflow-x:auto;overflow-y:hidden}
.domain{color:var(--muted);font-size:11.5px;margin-top:2px}
.domains table{border-collapse:collapse;width:100%}
.domains th,.domains td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line)}
.sam{overflow-wrap:anywhere}
td.time{font-variant-numeric:tabular-nums}
.waited{font-size:11.5px;font-weight:600;margin-top:2px;white-space:nowrap}
.waited.sev-error{color:var(--error)}.waited.sev-info{color:var(--info)}
.status{font-size:11px;padding:1px 6px;border-radius:4px;border:1px solid var(--line);white-space:nowrap}
.status-new{background:var(--info-bg);color:var(--info);border-color:var(--info)}
.status-persisting{background:var(--head);color:var(--muted)}
td.message{overflow-wrap:break-word}
.cmd{display:block;margin-top:6px;padding:6px 8px;background:var(--head);border:1px solid var(--line);border-radius:4px;white-space:pre;overflow-x:auto;position:relative}
.copy{float:right;font:inherit;font-size:11px;margin:-2px -2px 2px 8px;padding:1px 8px;border:1px solid var(--line);border-radius:4px;background:var(--panel);color:var(--fg);cursor:pointer}
.nomatch{color:var(--muted);text-align:center;padding:16px}
.more{text-align:center}.more button{font:inherit;padding:4px 14px;border:1px solid var(--line);border-radius:4px;background:var(--panel);color:var(--fg);cursor:pointer}
.truncated{color:var(--muted);padding:8px 16px}
.empty{display:flex;align-items:center;gap:16px;padding:20px;background:var(--good-bg);border-radius:8px;color:var(--fg)}
.empty p{margin:0}
.empty .check{flex:none;width:40px;height:40px;border-radius:50%;background:var(--good);color:#fff;display:flex;align-items:center;justify-content:center;font-size:22px;font-weight:700}
.empty.small{padding:14px}
.guide{margin-top:16px}
.guide dl{display:grid;grid-template-columns:max-content 1fr;gap:8px 16px}
.guide dt{white-space:nowrap}
.guide dd{margin:0}
.guide dt:target,.guide dt:target+dd{background:var(--info-bg)}
footer{max-width:1680px;margin:0 auto;padding:0 20px 24px;color:var(--muted);font-size:12px}
[hidden]{display:none!important}
@page{size:landscape;margin:10mm}
@media print{
:root{--bg:#fff;--panel:#fff;--fg:#000;--muted:#444;--line:#bbb;--head:#f0f0f0;--shadow:none}
body{font-size:10px}
.col-sev{width:62px}.col-code{width:172px}.col-user{width:17%}.col-time{width:84px}.col-key{width:84px}.col-status{width:70px}
th,td{padding:4px 6px}
th .sort{padding:4px 6px;font-size:9px}
code,.cmd,.dn,a.code{font-size:9px}
.badge{font-size:8.5px;padding:1px 5px}
.card .value{font-size:20px}
.cards{grid-template-columns:repeat(8,1fr);gap:6px}
.row,.cards,.tenant{margin-bottom:8px}
.panel{padding:10px}
main,.top,footer{max-width:none;padding-left:0;padding-right:0}
.controls,.copy,.bycode,.more,.hint,.container-filter,th .sort::after{display:none!important}
.scroll-y{max-height:none;overflow:visible}
svg.histogram,svg.trend{max-height:170px}
.row{grid-template-columns:1fr 1fr}
.panel,.card,.alert{box-shadow:none;break-inside:avoid}
.findings{break-inside:auto}
table,#findings{min-width:0}
.scroll{overflow:visible}
thead{display:table-header-group}
thead th{position:static}
tr{break-inside:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}

"""#

    static let script = #"""

(function () {
  "use strict";
  var doc = document.documentElement;
  var table = document.getElementById("findings");
  if (!table) { doc.setAttribute("data-ready", "1"); return; }
  var tbody = table.tBodies[0];
  var filter = document.getElementById("filter");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[data-severity]"));
  var chips = Array.prototype.slice.call(document.querySelectorAll("[data-filter]"));
  var statusFilter = document.getElementById("status-filter");
  var containerLinks = Array.prototype.slice.call(document.querySelectorAll("button[data-container]"));
  var containerBar = document.getElementById("container-filter");
  var shown = document.getElementById("shown");
  var nomatch = document.getElementById("nomatch");
  var more = document.getElementById("more");
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var withStatus = headers.length === 8;
  var PAGE = 200, limit = PAGE;
  // The container whose findings alone are shown (its DN in lower case), or null.
  var container = null;

  // A count as the page writes counts (HTMLReport.num): a comma between groups of three digits.
  function fmt(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }

  // Every finding is an item: a row written in the page, or a row's data (findings past the
  // first ones, see FindingsData) made into a row when it is first shown.
  var items = Array.prototype.slice.call(tbody.rows).map(function (r, i) {
    return { row: r, severity: r.getAttribute("data-severity"), status: r.getAttribute("data-status"), order: i };
  });
  var dataBlock = document.getElementById("findings-data");
  var carried = dataBlock ? JSON.parse(dataBlock.textContent) : null;
  // Read once: the text (megabytes for 100,000 findings) need not stay in the page.
  if (dataBlock) { dataBlock.parentNode.removeChild(dataBlock); }
  var F = { code: 0, sam: 1, upn: 2, dn: 3, domain: 4, onPrem: 5, cloud: 6, matchedBy: 7, status: 8, message: 9, command: 10, waited: 11, cloudId: 12, firstSeen: 13, runsOpen: 14 };
  if (carried) {
    carried.rows.forEach(function (d) {
      items.push({ data: d, severity: carried.codes[d[F.code]][1], status: d[F.status], order: items.length });
    });
    document.getElementById("truncated").hidden = true;
  }
  // A field that may be missing (firstSeen and runsOpen come only with a status).
  function field(d, f) { return d[f] === undefined ? null : d[f]; }

  function expand(d, f) {
    var t = d[f];
    if (t === null) { return null; }
    if (typeof t === "string") { return t; }
    var values = [d[F.dn], d[F.upn], d[F.sam], d[F.onPrem], d[F.cloud], d[F.domain]];
    return carried.templates[t].replace(/[\u0001-\u0006]/g, function (c) { return values[c.charCodeAt(0) - 1]; });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  // Text that may wrap after each of `marks` (a <wbr> there), as the page writes DNs and UPNs.
  function breakable(e, text, marks) {
    var part = "";
    for (var i = 0; i < text.length; i++) {
      part += text.charAt(i);
      if (marks.indexOf(text.charAt(i)) >= 0) {
        e.appendChild(document.createTextNode(part));
        e.appendChild(document.createElement("wbr"));
        part = "";
      }
    }
    if (part) { e.appendChild(document.createTextNode(part)); }
    return e;
  }
  function timeCell(iso) {
    var td = el("td", "time");
    var t = el("time");
    t.setAttribute("datetime", iso);
    var parts = iso.split("T");
    t.appendChild(document.createTextNode(parts[0]));
    t.appendChild(document.createElement("br"));
    t.appendChild(document.createTextNode(parts[1].replace(/\..*$/, "").replace(/Z$/, "") + " UTC"));
    td.appendChild(t);
    td.setAttribute("data-sort", iso);
    return td;
  }
  // The Status column's sort key (HTMLReport.statusKey): the status, then the runs open.
  function statusKey(status, runs) {
    var r = String(Math.min(Math.max(runs || 0, 0), 999999));
    return status + " " + "000000".slice(r.length) + r;
  }
  // The same row the page writes for a user finding (HTMLReport.findingsTable).
  function build(d) {
    var code = carried.codes[d[F.code]][0], sev = carried.codes[d[F.code]][1];
    var tr = el("tr", "sev-" + sev);
    tr.setAttribute("data-severity", sev);
    tr.setAttribute("data-subject", d[F.sam] || d[F.upn] || d[F.cloudId] || "");
    if (withStatus && d[F.status] !== null) { tr.setAttribute("data-status", d[F.status]); }
    var td = el("td");
    td.setAttribute("data-sort", { error: "3", warning: "2", info: "1" }[sev]);
    td.appendChild(el("span", "badge sev-" + sev, sev));
    tr.appendChild(td);
    td = el("td");
    var a = el("a", "code", code);
    a.href = "#code-" + code;
    td.appendChild(a);
    tr.appendChild(td);
    td = el("td");
    td.setAttribute("data-sort", (d[F.sam] || "").toLowerCase());
    td.appendChild(d[F.sam] !== null ? el("strong", "sam", d[F.sam]) : el("em", null, "no directory user"));
    if (d[F.upn] !== null) { td.appendChild(breakable(el("div", "upn"), d[F.upn], "@.")); }
    if (d[F.dn] !== null) { td.appendChild(breakable(el("div", "dn"), d[F.dn], ",")); }
    if (d[F.domain] !== null) { td.appendChild(el("div", "domain", d[F.domain])); }
    tr.appendChild(td);
    if (typeof d[F.onPrem] === "string" && d[F.onPrem] !== "m") {
      td = timeCell(d[F.onPrem]);
      if (d[F.waited] !== null) { td.appendChild(el("div", "waited sev-" + sev, "waited " + d[F.waited])); }
    } else {
      td = el("td", "time");
      td.setAttribute("data-sort", "");
      if (d[F.onPrem] === "m") { td.appendChild(el("span", "muted", "0 (must change)")); } else { td.textContent = "\u2014"; }
    }
    tr.appendChild(td);
    if (typeof d[F.cloud] === "string") {
      td = timeCell(d[F.cloud]);
    } else {
      td = el("td", "time");
      td.setAttribute("data-sort", "");
      if (d[F.cloud] === 0) { td.appendChild(el("span", "muted", "never")); } else { td.textContent = "\u2014"; }
    }
    tr.appendChild(td);
    tr.appendChild(el("td", null, d[F.matchedBy] || "\u2014"));
    if (withStatus) { tr.appendChild(statusCell(d)); }
    td = breakable(el("td", "message"), expand(d, F.message), ",");
    var command = expand(d, F.command);
    if (command !== null) { var c = breakable(el("code", "cmd"), command, " "); copyButton(c); td.appendChild(c); }
    tr.appendChild(td);
    return tr;
  }
  // The same cell as HTMLReport.statusCell.
  function statusCell(d) {
    var td = el("td");
    var status = d[F.status], first = field(d, F.firstSeen), runs = field(d, F.runsOpen);
    if (status === null) { td.setAttribute("data-sort", ""); td.textContent = "\u2014"; return td; }
    td.setAttribute("data-sort", statusKey(status, runs));
    td.appendChild(el("span", "status status-" + status, status));
    if (first !== null) {
      var seen = el("div", "seen", "first seen ");
      var t = el("time", null, first.slice(0, 10));
      t.setAttribute("datetime", first);
      seen.appendChild(t);
      td.appendChild(seen);
    }
    if (runs !== null) { td.appendChild(el("div", "seen", "open for " + fmt(runs) + (runs === 1 ? " run" : " runs"))); }
    return td;
  }
  function rowOf(item) {
    if (!item.row) { item.row = build(item.data); }
    return item.row;
  }
  function textOf(item) {
    if (item.text === undefined) {
      if (item.row) {
        item.text = item.row.textContent.toLowerCase();
      } else {
        var d = item.data;
        item.text = [carried.codes[d[F.code]][1], carried.codes[d[F.code]][0], d[F.sam], d[F.upn], d[F.dn], d[F.domain],
          d[F.onPrem], d[F.cloud], d[F.matchedBy], d[F.status], field(d, F.firstSeen), expand(d, F.message), expand(d, F.command), d[F.waited]]
          .filter(function (v) { return typeof v === "string"; }).join(" ").toLowerCase();
      }
    }
    return item.text;
  }
  // The parent of a DN: what follows its first comma that no backslash escapes (as
  // AuditReport.containers finds it), in lower case; "" when there is none.
  function containerOf(item) {
    if (item.container === undefined) {
      var dn = item.data ? item.data[F.dn] : null;
      if (!item.data) { var div = item.row.querySelector(".dn"); dn = div ? div.textContent : null; }
      item.container = "";
      for (var i = 0, escaped = false; dn && i < dn.length; i++) {
        var c = dn.charAt(i);
        if (escaped) { escaped = false; } else if (c === "\\") { escaped = true; } else if (c === ",") {
          item.container = dn.slice(i + 1).replace(/^ +/, "").toLowerCase();
          break;
        }
      }
    }
    return item.container;
  }
  // The filter's terms: words, or "quoted words" kept together; a finding matches any of them.
  function termsOf(text) {
    var terms = [], re = /"([^"]*)"?|(\S+)/g, m;
    while ((m = re.exec(text.toLowerCase())) !== null) {
      var t = (m[1] !== undefined ? m[1] : m[2]).replace(/\s+/g, " ").trim();
      if (t) { terms.push(t); }
    }
    return terms;
  }

  var matching = items;
  function render() {
    var fragment = document.createDocumentFragment();
    matching.slice(0, limit).forEach(function (item) { item.row && (item.row.hidden = false); fragment.appendChild(rowOf(item)); });
    tbody.textContent = "";
    tbody.appendChild(fragment);
    var rest = matching.length - Math.min(limit, matching.length);
    more.hidden = rest === 0;
    more.textContent = "Show " + fmt(Math.min(PAGE, rest)) + " more (" + fmt(rest) + " not shown yet)";
  }
  function apply() {
    var terms = termsOf(filter.value);
    var on = {};
    boxes.forEach(function (b) { on[b.getAttribute("data-severity")] = b.checked; });
    var status = statusFilter ? statusFilter.value : "";
    matching = items.filter(function (item) {
      return on[item.severity] !== false && (status === "" || item.status === status)
        && (container === null || containerOf(item) === container)
        && (terms.length === 0 || terms.some(function (t) { return textOf(item).indexOf(t) >= 0; }));
    });
    var count = matching.length;
    var noun = items.length === 1 ? " finding" : " findings";
    shown.textContent = count === items.length ? fmt(items.length) + noun : fmt(count) + " of " + fmt(items.length) + noun + " shown";
    nomatch.hidden = count !== 0;
    chips.forEach(function (c) { c.classList.toggle("active", filter.value.trim() === c.getAttribute("data-filter")); });
    limit = PAGE;
    render();
  }

  function remember() {
    try {
      var q = filter.value.trim();
      history.replaceState(null, "", q ? "#q=" + encodeURIComponent(q) : location.pathname + location.search);
    } catch (e) { /* file: URLs may refuse; the filter still works */ }
  }

  filter.addEventListener("input", function () { apply(); remember(); });
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  if (statusFilter) { statusFilter.addEventListener("change", apply); }
  chips.forEach(function (c) {
    c.addEventListener("click", function () {
      var code = c.getAttribute("data-filter");
      filter.value = filter.value.trim() === code ? "" : code;
      apply(); remember();
      table.scrollIntoView({ block: "start", behavior: "smooth" });
    });
  });
  // A container of the Containers panel: only the findings it holds; again, or Clear, for all.
  function showContainer(dn) {
    container = dn === null ? null : dn.toLowerCase();
    containerLinks.forEach(function (b) {
      b.setAttribute("aria-pressed", String(container !== null && b.getAttribute("data-container").toLowerCase() === container));
    });
    if (containerBar) {
      containerBar.hidden = container === null;
      document.getElementById("container-name").textContent = dn === null ? "" : dn;
    }
    apply();
  }
  containerLinks.forEach(function (b) {
    b.addEventListener("click", function () {
      var dn = b.getAttribute("data-container");
      showContainer(container === dn.toLowerCase() ? null : dn);
      table.scrollIntoView({ block: "start", behavior: "smooth" });
    });
  });
  if (containerBar) { document.getElementById("container-clear").addEventListener("click", function () { showContainer(null); }); }
  more.addEventListener("click", function () { limit += PAGE; render(); });

  // Sorting: click a header; again to reverse. Severity sorts the most severe first at the first
  // click, the others ascending. Empty cells always sort last; ties keep report order.
  function dataKey(d, column) {
    var sev = carried.codes[d[F.code]][1];
    switch (withStatus || column < 6 ? column : column + 1) {
      case 0: return { error: "3", warning: "2", info: "1" }[sev];
      case 1: return carried.codes[d[F.code]][0];
      case 2: return (d[F.sam] || "").toLowerCase();
      case 3: return typeof d[F.onPrem] === "string" && d[F.onPrem] !== "m" ? d[F.onPrem] : "";
      case 4: return typeof d[F.cloud] === "string" ? d[F.cloud] : "";
      case 5: return (d[F.matchedBy] || "\u2014").toLowerCase();
      case 6: return d[F.status] === null ? "" : statusKey(d[F.status], field(d, F.runsOpen));
      default: return textOf({ data: d });
    }
  }
  headers.forEach(function (th, column) {
    th.querySelector("button").addEventListener("click", function () {
      var was = th.getAttribute("aria-sort");
      var dir = was === "ascending" ? -1 : was === "descending" ? 1 : column === 0 ? -1 : 1;
      headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      function key(item) {
        if (!item.row) { return dataKey(item.data, column); }
        var cell = item.row.cells[column];
        var v = cell.getAttribute("data-sort");
        return v !== null ? v : cell.textContent.trim().toLowerCase();
      }
      var keys = items.map(key);
      var order = items.map(function (item, i) { return i; }).sort(function (a, b) {
        var x = keys[a], y = keys[b];
        if (x === "" && y !== "") { return 1; }
        if (y === "" && x !== "") { return -1; }
        var c = x < y ? -1 : x > y ? 1 : 0;
        return c !== 0 ? c * dir : items[a].order - items[b].order;
      });
      items = order.map(function (i) { return items[i]; });
      apply();
    });
  });

  // Copy buttons for the commands to run.
  function copyButton(code) {
    var text = code.textContent;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.addEventListener("click", function () {
      function done() { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, fallback);
      } else { fallback(); }
      function fallback() {
        var range = document.createRange();
        range.selectNodeContents(code);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        try { document.execCommand("copy"); done(); } catch (e) { /* selected: copy by hand */ }
      }
    });
    code.insertBefore(button, code.firstChild);
  }
  Array.prototype.slice.call(tbody.querySelectorAll("code.cmd")).forEach(copyButton);

  var match = /^#q=(.*)$/.exec(location.hash);
  if (match) {
    try { filter.value = decodeURIComponent(match[1]); } catch (e) { filter.value = match[1]; }
  }
  apply();
  doc.setAttribute("data-ready", "1");
})();

"""#
}
