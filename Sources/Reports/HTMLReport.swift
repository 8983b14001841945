public import SyncAudit
public import Foundation

/// `--format html`: one self-contained page for people who would rather not read JSON — to mail
/// round, attach to a ticket or open from a share. No external assets (it works offline, and a
/// Content-Security-Policy of hashes forbids anything else, so even a name that slipped past
/// escaping could not run script). It shows the tenant findings first, summary cards, where the
/// inputs came from, a histogram of how long the missing changes have waited, and the findings
/// table: sortable by clicking a header, filtered by text and severity (`#q=alice` in the URL
/// pre-fills the filter). Without JavaScript the first `renderedRows` findings are there, in
/// report order; the page's script makes the rest from data. Light and dark colour schemes, and
/// a print style.
public enum HTMLReport {
    /// Findings written out as table rows (all a reader without JavaScript sees); those after
    /// them are carried as data (`FindingsData`) and made into rows by the page's script as they
    /// are shown, 200 at a time, so that a page of 100,000 findings stays small and opens at once.
    public static let renderedRows = 200

    public static func render(_ report: AuditReport, renderedRows: Int = renderedRows) -> String {
        let settings = report.result.settings
        let errors = report.count(.error), warnings = report.count(.warning), infos = report.count(.info)
        let script = Self.script
        var h = head(title: title(report), version: report.version, script: script)

        // Header and verdict.
        let verdict: (String, String) = if errors > 0 {
            ("error", "\(errors) \(errors == 1 ? "error needs" : "errors need") action")
        } else if !report.warnings.isEmpty {
            ("warning", "Not certain: \(report.warnings.count) run \(report.warnings.count == 1 ? "warning" : "warnings")")
        } else if warnings > 0 {
            ("warning", "\(warnings) \(warnings == 1 ? "warning" : "warnings") to review")
        } else if infos > 0 {
            ("ok", "In sync \u{2014} \(infos) \(infos == 1 ? "note" : "notes")")
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
        h += card("Matched", report.result.matched, "", note: "of \(report.result.directoryUsers) directory users")
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
        h += "<br><span class=\"muted\">\(report.directory.users) users</span></dd>\n"
        h += "<dt>Cloud export</dt><dd>\(esc(report.cloud.source))<br><span class=\"muted\">\(esc(report.cloud.format)) \u{00B7} \(report.cloud.users) users</span></dd>\n"
        h += "<dt>As of</dt><dd>\(time(settings.asOf))<br><span class=\"muted\">\(asOfSource(settings.asOfSource))</span></dd>\n"
        h += "<dt>Generated</dt><dd>\(time(report.generatedAt))</dd>\n"
        h += "<dt>Tolerances</dt><dd>grace \(duration(settings.grace)), max clock skew \(duration(settings.maxSkew))\(settings.forcePasswordChangeOnLogon ? "<br>temporary passwords sync" : "")</dd>\n"
        let statuses = report.findings.compactMap(\.status)
        if !statuses.isEmpty || report.resolved != nil {
            let new = statuses.filter { $0 == .new }.count, persisting = statuses.count - new
            var parts = ["\(new) new", "\(persisting) persisting"]
            if let resolved = report.resolved { parts.append("\(resolved) resolved") }
            h += "<dt>History</dt><dd>\(parts.joined(separator: " \u{00B7} "))<br><span class=\"muted\">compared with the previous recorded run</span></dd>\n"
        }
        h += "</dl>\n"
        h += "</section>\n"
        h += chart(report)
        h += "</div>\n"
        h += domainsPanel(report)

        h += findingsTable(report, renderedRows: renderedRows)
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
        let state = errors > 0 ? "\(errors) \(errors == 1 ? "error" : "errors")"
            : warnings > 0 ? "\(warnings) \(warnings == 1 ? "warning" : "warnings")" : "in sync"
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
        return "<div class=\"card \(kind)\"><div class=\"label\">\(esc(label))</div><div class=\"value\">\(value)</div><div class=\"note\">\(esc(note))</div></div>\n"
    }

    static func findingsTable(_ report: AuditReport, renderedRows: Int) -> String {
        var h = "<section class=\"panel findings\" aria-labelledby=\"findings-h\">\n"
        guard !report.findings.isEmpty else {
            h += "<h2 id=\"findings-h\">Findings</h2>\n"
            h += "<div class=\"empty\"><div class=\"check\" aria-hidden=\"true\">\u{2713}</div><p><strong>No findings.</strong> Every password change in scope reached Entra ID: \(report.result.inSync) of \(report.result.matched) matched users are in sync, and nothing else needs attention.</p></div>\n"
            return h + "</section>\n"
        }
        h += "<h2 id=\"findings-h\">Findings <span class=\"muted\" id=\"shown\">\(report.findings.count) \(report.findings.count == 1 ? "finding" : "findings")</span></h2>\n"
        let settings = report.result.settings
        let withStatus = report.findings.contains { $0.status != nil }
        h += "<div class=\"controls\">\n<input type=\"search\" id=\"filter\" placeholder=\"Filter: user, UPN, DN, code, text\u{2026}\" aria-label=\"Filter findings\" autocomplete=\"off\">\n"
        for severity in [Severity.error, .warning, .info] {
            let n = report.count(severity)
            h += "<label class=\"toggle sev-\(severity.rawValue)\"><input type=\"checkbox\" data-severity=\"\(severity.rawValue)\" checked\(n == 0 ? " disabled" : "")> \(label(severity)) <b>\(n)</b></label>\n"
        }
        h += "</div>\n"
        let byCode = codesBySeverity(report)
        h += "<ul class=\"bycode\" aria-label=\"Show one code\">\n"
        for (code, n) in byCode {
            h += "<li><button type=\"button\" class=\"chip sev-\(code.severity.rawValue)\" data-filter=\"\(code.rawValue)\" title=\"Show only \(code.rawValue)\"><span class=\"dot\"></span>\(code.rawValue) <b>\(n)</b></button></li>\n"
        }
        h += "</ul>\n"
        let domains = report.result.domains.filter { $0.status != .notRead }.map(\.name)
        if domains.count > 1 {
            h += "<ul class=\"bycode\" aria-label=\"Show one domain\">\n"
            for domain in domains {
                let n = report.findings.reduce(0) { $0 + ($1.domain == domain ? 1 : 0) }
                h += "<li><button type=\"button\" class=\"chip\" data-filter=\"\(esc(domain))\" title=\"Show only the domain \(esc(domain))\">\(esc(domain)) <b>\(n)</b></button></li>\n"
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
            h += "<tr class=\"sev-\(sev)\" data-severity=\"\(sev)\" data-subject=\"\(esc(subject))\">"
            h += "<td data-sort=\"\(rank(finding.severity))\"><span class=\"badge sev-\(sev)\">\(sev)</span></td>"
            h += "<td><a class=\"code\" href=\"#code-\(f.code)\">\(f.code)</a></td>"
            if finding.scope == .tenant {
                h += "<td data-sort=\"\"><em>whole tenant</em></td>"
            } else if finding.scope == .domain {
                h += "<td data-sort=\"\"><em>whole domain</em><div class=\"domain\">\(esc(f.domain ?? ""))</div></td>"
            } else {
                h += "<td data-sort=\"\(esc((f.samAccountName ?? "").lowercased()))\">"
                h += f.samAccountName.map { "<strong class=\"sam\">\(esc($0))</strong>" } ?? "<em>no directory user</em>"
                if let upn = f.userPrincipalName { h += "<div class=\"upn\">\(esc(upn))</div>" }
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
            if withStatus {
                h += "<td>" + (f.status.map { "<span class=\"status status-\($0)\">\($0)</span>" } ?? "\u{2014}") + "</td>"
            }
            h += "<td class=\"message\">\(esc(f.message))\(f.command.map { "<code class=\"cmd\">\(esc($0))</code>" } ?? "")</td>"
            h += "</tr>\n"
        }
        h += "</tbody>\n</table>\n</div>\n<p class=\"nomatch\" id=\"nomatch\" hidden>No finding matches the filter.</p>\n"
        h += "<p class=\"more\"><button type=\"button\" id=\"more\" hidden></button></p>\n"
        if report.findings.count > rendered {
            let rest = report.findings.count - rendered
            h += "<p class=\"truncated\" id=\"truncated\">The first \(rendered) of \(report.findings.count) findings are listed here; the other \(rest) are in this file as data, shown when JavaScript is on. The CSV and JSON reports list them all.</p>\n"
            h += "<script type=\"application/json\" id=\"findings-data\">"
            h += FindingsData(report.findings[rendered...], asOf: settings.asOf, domains: domains.count > 1, status: withStatus).json
            h += "</script>\n"
        }
        h += "</section>\n"
        return h
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
                h += "<td>\(esc(summary.domain?.source ?? ""))</td><td>\(summary.directoryUsers)</td><td>\(summary.matched)</td>"
                h += "<td>\(summary.errors)</td><td>\(summary.warnings)</td><td>\(summary.infos)</td>"
            case .unreachable:
                h += "<td colspan=\"6\"><span class=\"badge sev-error\">not read</span> \(esc(summary.domain?.failure ?? ""))</td>"
            case .notRead:
                h += "<td colspan=\"6\"><span class=\"muted\">not in this run: its cloud users are out of scope, not orphans</span></td>"
            }
            h += "<td>\(summary.cloudUsersOutOfScope)</td></tr>\n"
        }
        return h + "</tbody>\n</table>\n</section>\n"
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

    // MARK: Chart

    /// The histogram's buckets: lower bound inclusive, upper exclusive.
    static let buckets: [(label: String, upTo: TimeInterval)] = [
        ("< 1 h", 3600), ("1\u{2013}6 h", 6 * 3600), ("6\u{2013}24 h", 86_400),
        ("1\u{2013}3 d", 3 * 86_400), ("3\u{2013}7 d", 7 * 86_400), ("> 7 d", .infinity),
    ]

    /// Per bucket, how many not-synced and how many pending changes have waited that long.
    static func histogram(_ report: AuditReport) -> [(notSynced: Int, pending: Int)] {
        var counts = Array(repeating: (notSynced: 0, pending: 0), count: buckets.count)
        let asOf = report.result.settings.asOf
        for finding in report.findings where finding.code == .passwordNotSynced || finding.code == .passwordSyncPending {
            guard let date = finding.directoryUser?.pwdLastSet.date else { continue }
            let age = asOf.timeIntervalSince(date)
            let index = buckets.firstIndex { age < $0.upTo } ?? buckets.count - 1
            if finding.code == .passwordNotSynced { counts[index].notSynced += 1 } else { counts[index].pending += 1 }
        }
        return counts
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
        h += "<p class=\"legend\"><span class=\"key key-error\"></span>password-not-synced <b>\(notSynced)</b> <span class=\"key key-pending\"></span>password-sync-pending <b>\(pending)</b>"
        if let oldest = report.result.oldestNotSyncedAge {
            h += " <span class=\"oldest\">oldest: <b>\(duration(oldest))</b></span>"
        }
        h += "</p>\n"

        let width = 560.0, height = 250.0
        let left = 44.0, right = 10.0, top = 18.0, bottom = 50.0
        let plotW = width - left - right, plotH = height - top - bottom
        let peak = counts.map { $0.notSynced + $0.pending }.max() ?? 1
        let step = niceStep(Double(peak) / 4)
        let ceiling = max(step, (Double(peak) / step).rounded(.up) * step)
        func y(_ v: Double) -> Double { top + plotH - v / ceiling * plotH }

        let description = zip(buckets, counts).map { "\($0.label): \($1.notSynced) not synced, \($1.pending) pending" }.joined(separator: "; ")
        h += "<svg class=\"histogram\" viewBox=\"0 0 \(n(width)) \(n(height))\" role=\"img\" aria-labelledby=\"chart-t chart-d\">"
        h += "<title id=\"chart-t\">Password changes not yet in Entra ID, by how long they have waited</title><desc id=\"chart-d\">\(esc(description))</desc>\n"
        // Grid and y axis.
        var tick = 0.0
        while tick <= ceiling + 0.001 {
            h += "<line class=\"grid\" x1=\"\(n(left))\" x2=\"\(n(width - right))\" y1=\"\(n(y(tick)))\" y2=\"\(n(y(tick)))\"/>"
            h += "<text class=\"tick\" x=\"\(n(left - 6))\" y=\"\(n(y(tick) + 4))\" text-anchor=\"end\">\(n(tick))</text>\n"
            tick += step
        }
        h += "<text class=\"axis-title\" transform=\"translate(12 \(n(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">users</text>\n"
        // Bars: not synced at the bottom, pending stacked on top, the total above.
        let slot = plotW / Double(buckets.count), barW = slot * 0.62
        for (index, (bucket, count)) in zip(buckets, counts).enumerated() {
            let x = left + slot * Double(index) + (slot - barW) / 2
            let base = y(0), errTop = y(Double(count.notSynced)), allTop = y(Double(count.notSynced + count.pending))
            let tip = "\(bucket.label): \(count.notSynced) not synced, \(count.pending) pending"
            if count.notSynced > 0 {
                h += "<rect class=\"bar bar-error\" x=\"\(n(x))\" y=\"\(n(errTop))\" width=\"\(n(barW))\" height=\"\(n(base - errTop))\" rx=\"2\"><title>\(esc(tip))</title></rect>"
            }
            if count.pending > 0 {
                h += "<rect class=\"bar bar-pending\" x=\"\(n(x))\" y=\"\(n(allTop))\" width=\"\(n(barW))\" height=\"\(n(errTop - allTop))\" rx=\"2\"><title>\(esc(tip))</title></rect>"
            }
            let total = count.notSynced + count.pending
            if total > 0 {
                h += "<text class=\"value\" x=\"\(n(x + barW / 2))\" y=\"\(n(allTop - 5))\" text-anchor=\"middle\">\(total)</text>"
            }
            h += "<text class=\"tick\" x=\"\(n(x + barW / 2))\" y=\"\(n(base + 17))\" text-anchor=\"middle\">\(esc(bucket.label))</text>\n"
        }
        h += "<line class=\"axis\" x1=\"\(n(left))\" x2=\"\(n(width - right))\" y1=\"\(n(y(0)))\" y2=\"\(n(y(0)))\"/>\n"
        h += "<text class=\"axis-title\" x=\"\(n(left + plotW / 2))\" y=\"\(n(height - 8))\" text-anchor=\"middle\">time since the on-premises change, at as-of</text>\n"
        h += "</svg>\n</section>\n"
        return h
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

    /// A DN that may wrap after its commas (`<wbr>`), rather than inside a name.
    static func breakable(_ dn: String) -> String {
        esc(dn).replacingOccurrences(of: ",", with: ",<wbr>")
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

    static func percent(_ part: Int, of whole: Int) -> String {
        guard whole > 0 else { return "0%" }
        let p = Double(part) / Double(whole) * 100
        return p > 0 && p < 1 ? "<1%" : "\(Int(p.rounded()))%"
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
.key-error{background:var(--error)}.key-pending{background:var(--pending)}
.histogram{width:100%;height:auto;display:block;max-height:300px}
.histogram .grid{stroke:var(--line);stroke-width:1}
.histogram .axis{stroke:var(--muted);stroke-width:1.2}
.histogram text{fill:var(--muted);font-size:12px;font-family:inherit}
.histogram .value{fill:var(--fg);font-weight:600}
.histogram .axis-title{font-size:12px;fill:var(--muted)}
.bar-error{fill:var(--error)}.bar-pending{fill:var(--pending)}
.controls{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;margin-bottom:10px}
#filter{font:inherit;flex:1 1 280px;max-width:460px;padding:6px 10px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.toggle{display:inline-flex;align-items:center;gap:6px;cursor:pointer;user-select:none}
.toggle b{font-weight:600}
table{border-collapse:collapse;width:100%;table-layout:fixed}
.col-sev{width:92px}.col-code{width:218px}.col-user{width:18%}.col-time{width:122px}.col-key{width:116px}.col-status{width:98px}
@media (max-width:1320px){.scroll{overflow-x:auto}table{min-width:1260px}}
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
.upn{overflow-wrap:anywhere;margin-top:1px}
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
td.message{overflow-wrap:anywhere}
.cmd{display:block;margin-top:6px;padding:6px 8px;background:var(--head);border:1px solid var(--line);border-radius:4px;white-space:pre-wrap;overflow-wrap:anywhere;position:relative}
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
.histogram{max-height:170px}
.row,.cards,.tenant{margin-bottom:8px}
.panel{padding:10px}
main,.top,footer{max-width:none;padding-left:0;padding-right:0}
.controls,.copy,.bycode,.more,th .sort::after{display:none!important}
.row{grid-template-columns:1fr 1fr}
.panel,.card,.alert{box-shadow:none;break-inside:avoid}
.findings{break-inside:auto}
table{min-width:0}
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
  var shown = document.getElementById("shown");
  var nomatch = document.getElementById("nomatch");
  var more = document.getElementById("more");
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var withStatus = headers.length === 8;
  var PAGE = 200, limit = PAGE;

  // Every finding is an item: a row written in the page, or a row's data (findings past the
  // first ones, see FindingsData) made into a row when it is first shown.
  var items = Array.prototype.slice.call(tbody.rows).map(function (r, i) {
    return { row: r, severity: r.getAttribute("data-severity"), order: i };
  });
  var dataBlock = document.getElementById("findings-data");
  var carried = dataBlock ? JSON.parse(dataBlock.textContent) : null;
  // Read once: the text (megabytes for 100,000 findings) need not stay in the page.
  if (dataBlock) { dataBlock.parentNode.removeChild(dataBlock); }
  if (carried) {
    carried.rows.forEach(function (d, j) {
      items.push({ data: d, severity: carried.codes[d[0]][1], order: items.length });
    });
    document.getElementById("truncated").hidden = true;
  }
  var F = { code: 0, sam: 1, upn: 2, dn: 3, domain: 4, onPrem: 5, cloud: 6, matchedBy: 7, status: 8, message: 9, command: 10, waited: 11, cloudId: 12 };

  function expand(d, field) {
    var t = d[field];
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
  // The same row the page writes for a user finding (HTMLReport.findingsTable).
  function build(d) {
    var code = carried.codes[d[F.code]][0], sev = carried.codes[d[F.code]][1];
    var tr = el("tr", "sev-" + sev);
    tr.setAttribute("data-severity", sev);
    tr.setAttribute("data-subject", d[F.sam] || d[F.upn] || d[F.cloudId] || "");
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
    if (d[F.upn] !== null) { td.appendChild(el("div", "upn", d[F.upn])); }
    if (d[F.dn] !== null) {
      var dn = el("div", "dn");
      d[F.dn].split(",").forEach(function (part, i) {
        if (i > 0) { dn.appendChild(document.createTextNode(",")); dn.appendChild(document.createElement("wbr")); }
        dn.appendChild(document.createTextNode(part));
      });
      td.appendChild(dn);
    }
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
    if (withStatus) {
      td = el("td");
      if (d[F.status] !== null) { td.appendChild(el("span", "status status-" + d[F.status], d[F.status])); } else { td.textContent = "\u2014"; }
      tr.appendChild(td);
    }
    td = el("td", "message", expand(d, F.message));
    var command = expand(d, F.command);
    if (command !== null) { var c = el("code", "cmd", command); copyButton(c); td.appendChild(c); }
    tr.appendChild(td);
    return tr;
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
          d[F.onPrem], d[F.cloud], d[F.matchedBy], d[F.status], expand(d, F.message), expand(d, F.command), d[F.waited]]
          .filter(function (v) { return typeof v === "string"; }).join(" ").toLowerCase();
      }
    }
    return item.text;
  }

  var matching = items;
  function render() {
    var fragment = document.createDocumentFragment();
    matching.slice(0, limit).forEach(function (item) { item.row && (item.row.hidden = false); fragment.appendChild(rowOf(item)); });
    tbody.textContent = "";
    tbody.appendChild(fragment);
    var rest = matching.length - Math.min(limit, matching.length);
    more.hidden = rest === 0;
    more.textContent = "Show " + Math.min(PAGE, rest) + " more (" + rest + " not shown yet)";
  }
  function apply() {
    var terms = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var on = {};
    boxes.forEach(function (b) { on[b.getAttribute("data-severity")] = b.checked; });
    matching = items.filter(function (item) {
      return on[item.severity] !== false && terms.every(function (t) { return textOf(item).indexOf(t) >= 0; });
    });
    var count = matching.length;
    var noun = items.length === 1 ? " finding" : " findings";
    shown.textContent = count === items.length ? items.length + noun : count + " of " + items.length + noun + " shown";
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
  chips.forEach(function (c) {
    c.addEventListener("click", function () {
      var code = c.getAttribute("data-filter");
      filter.value = filter.value.trim() === code ? "" : code;
      apply(); remember();
      table.scrollIntoView({ block: "start", behavior: "smooth" });
    });
  });
  more.addEventListener("click", function () { limit += PAGE; render(); });

  // Sorting: click a header; again to reverse. Empty cells always sort last; ties keep report order.
  function dataKey(d, column) {
    var sev = carried.codes[d[F.code]][1];
    switch (withStatus || column < 6 ? column : column + 1) {
      case 0: return { error: "3", warning: "2", info: "1" }[sev];
      case 1: return carried.codes[d[F.code]][0];
      case 2: return (d[F.sam] || "").toLowerCase();
      case 3: return typeof d[F.onPrem] === "string" && d[F.onPrem] !== "m" ? d[F.onPrem] : "";
      case 4: return typeof d[F.cloud] === "string" ? d[F.cloud] : "";
      case 5: return (d[F.matchedBy] || "\u2014").toLowerCase();
      case 6: return (d[F.status] || "\u2014").toLowerCase();
      default: return textOf({ data: d });
    }
  }
  headers.forEach(function (th, column) {
    th.querySelector("button").addEventListener("click", function () {
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
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
