public import SyncAudit

/// `--format table`: for a person at a terminal. The summary first, then the findings grouped
/// by severity, each with who, the two times, and what to do. Colour only when asked (the
/// caller decides: a TTY and no `NO_COLOR`).
public enum TableReport {
    public static func render(_ report: AuditReport, color: Bool) -> String {
        var text = ""
        write(report, color: color, to: &text)
        return text
    }

    /// Writes the report a line at a time.
    public static func write(_ report: AuditReport, color: Bool, to out: inout some TextOutputStream) {
        let paint = Paint(enabled: color)
        let settings = report.result.settings
        out.write(paint.bold("phs-check \(report.version)") + "  " + Timestamp.format(report.generatedAt) + "\n\n")
        out.write(warningBanner(report.warnings, paint: paint))
        let source: String = switch settings.asOfSource {
        case .option: "from --as-of"
        case .graph: "when the Graph read began"
        case .inferred: "newest time in the export"
        }
        let rows: [(String, String)] = [
            ("Directory", "\(report.directory.source)\(report.directory.baseDN.map { "  \($0)" } ?? "")  \(report.directory.users) users"),
            ("Cloud", "\(report.cloud.source) (\(report.cloud.format))  \(report.cloud.users) users"),
            ("As of", "\(Timestamp.format(settings.asOf)) (\(source)); grace \(Self.duration(settings.grace)), max skew \(Self.duration(settings.maxSkew))"),
            ("Matched", "\(report.result.matched) users, \(report.result.inSync) with their latest password in the cloud"),
        ]
        for (label, value) in rows { out.write("  " + pad(label, 10) + terminalSafe(value) + "\n") }
        let byDomain = report.showsDomains
        if byDomain {
            for (n, line) in domainLines(report.result.domains, paint: paint).enumerated() {
                out.write("  " + pad(n == 0 ? "Domains" : "", 10) + line + "\n")
            }
        }
        if let resolved = report.resolved { out.write("  " + pad("Resolved", 10) + "\(resolved) findings since the previous run\n") }
        out.write("\n")

        if report.findings.isEmpty {
            out.write(paint.green("No findings: every password change in scope reached Entra ID.") + "\n")
            return
        }
        // One pass over the findings feeds both the counts line and the sections below it.
        let severities = [Severity.error, .warning, .info]
        let groups = Dictionary(grouping: report.findings, by: \.severity)
        out.write("  " + severities.map { severity in
            let n = groups[severity]?.count ?? 0
            return paint.severity(severity, "\(n) \(Self.plural(severity, n))")
        }.joined(separator: "   ") + "\n")
        for (code, n) in report.countsByCode {
            out.write("    " + pad(code.rawValue, 30) + String(n) + "\n")
        }

        for severity in severities {
            guard let group = groups[severity] else { continue }
            out.write("\n" + paint.severity(severity, Self.plural(severity, group.count).uppercased() + " (\(group.count))") + "\n")
            for finding in group {
                let f = FindingFields(finding).mapped { terminalSafe($0) }
                var who = [f.samAccountName ?? f.userPrincipalName ?? f.cloudId ?? "tenant"]
                if let upn = f.userPrincipalName, upn != who[0] { who.append(upn) }
                var line = "  " + paint.bold(f.code) + "  " + who.joined(separator: "  ")
                if let status = f.status { line += "  [\(status)]" }
                out.write(line + "\n")
                var facts: [String] = []
                if let onPrem = f.onPremPasswordLastSet { facts.append("on-prem \(onPrem)") }
                if finding.scope == .user, finding.cloudUser != nil { facts.append("cloud \(f.cloudLastPasswordChange ?? "never")") }
                if let matchedBy = f.matchedBy { facts.append("matched by \(matchedBy)") }
                if byDomain, finding.scope == .user, let domain = f.domain { facts.append("domain \(domain)") }
                if !facts.isEmpty { out.write("    " + paint.dim(facts.joined(separator: ", ")) + "\n") }
                out.write("    " + f.message + "\n")
                if let command = f.command { out.write("    Run: " + command + "\n") }
            }
        }
        // What each code means for anyone, once per code rather than once per finding.
        out.write("\nNEXT STEPS\n")
        for (code, _) in report.countsByCode {
            out.write("  " + paint.bold(code.rawValue) + "  " + code.entry.nextStep + "\n")
        }
    }

    /// One line per domain: what was read and found there, or why it was not judged.
    static func domainLines(_ domains: [DomainSummary], paint: Paint) -> [String] {
        let width = min(domains.map(\.name.count).max() ?? 0, 40) + 2
        return domains.map { summary in
            let name = pad(terminalSafe(summary.name), width)
            switch summary.status {
            case .read:
                let counts = [(Severity.error, summary.errors), (.warning, summary.warnings), (.info, summary.infos)]
                    .filter { $0.1 > 0 }.map { "\($0.1) \(plural($0.0, $0.1))" }
                let found = counts.isEmpty ? "no findings" : counts.joined(separator: ", ")
                return name + terminalSafe(summary.domain?.source ?? "") + "  \(summary.directoryUsers) users, \(summary.matched) matched, " + found
            case .unreachable:
                return name + paint.severity(.error, "NOT READ") + "  " + terminalSafe(summary.domain?.failure ?? "")
                    + "  (\(cloudUsers(summary.cloudUsersOutOfScope)) not judged)"
            case .notRead:
                return name + "not in this run: \(cloudUsers(summary.cloudUsersOutOfScope)) out of scope"
            }
        }
    }

    static func cloudUsers(_ n: Int) -> String { "\(n) synced cloud \(n == 1 ? "user" : "users")" }

    static func plural(_ severity: Severity, _ n: Int) -> String {
        switch severity {
        case .error: n == 1 ? "error" : "errors"
        case .warning: n == 1 ? "warning" : "warnings"
        case .info: "info"
        }
    }

    /// A setting as `--grace` and `--max-skew` take it (`90s`, `30m`, `2h`, `1d`), so the line
    /// reads like the command that set it. Not the prose form (`2 h 5 min`) the messages and the
    /// HTML page use for waiting times.
    /// A setting's duration as the options take it: `0s`, `90s`, `1h30m`, `2d`.
    static func duration(_ seconds: Double) -> String {
        var s = Int(seconds)
        guard s > 0 else { return "0s" }
        var text = ""
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] where s >= size {
            text += "\(s / size)\(unit)"
            s %= size
        }
        return text
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}

/// Text from the directory or the export, made safe for a terminal: control characters (an
/// escape sequence in a crafted name could rewrite the screen), bidirectional overrides and
/// isolates (they reorder what is shown, so a name could read as another) and zero-width
/// characters (they hide text) are shown as `\u{FFFD}`; so are line breaks (LF, CR, NEL, the
/// Unicode line and paragraph separators), so that a value cannot start a line of its own.
/// With `keepingNewlines`, LF stays (for whole texts assembled from such values).
public func terminalSafe(_ text: String, keepingNewlines: Bool = false) -> String {
    func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A: !keepingNewlines
        case 0x00..<0x20, 0x7F...0x9F: true
        // Zero-width space/joiners, LRM/RLM, the line and paragraph separators, bidi embeddings
        // and overrides, isolates, ALM, word joiner and invisible operators, BOM / zero-width
        // no-break space.
        case 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2064, 0x2066...0x2069, 0x061C, 0xFEFF: true
        default: false
        }
    }
    guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
    return String(String.UnicodeScalarView(text.unicodeScalars.map { isUnsafe($0) ? "\u{FFFD}" : $0 }))
}

/// The run's warnings as a banner above a terminal report, so that a report read alone still
/// says what made it less than certain.
func warningBanner(_ warnings: [RunWarning], paint: Paint) -> String {
    guard !warnings.isEmpty else { return "" }
    var out = paint.severity(.warning, "WARNINGS (\(warnings.count)): this result is less than certain") + "\n"
    for warning in warnings {
        out += "  " + paint.bold(warning.code.rawValue) + "  " + terminalSafe(warning.message) + "\n"
    }
    return out + "\n"
}

/// ANSI styling that is a no-op when disabled.
struct Paint {
    let enabled: Bool
    private func wrap(_ code: String, _ text: String) -> String { enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    func bold(_ text: String) -> String { wrap("1", text) }
    func dim(_ text: String) -> String { wrap("2", text) }
    func green(_ text: String) -> String { wrap("32", text) }
    func severity(_ severity: Severity, _ text: String) -> String {
        switch severity {
        case .error: wrap("1;31", text)
        case .warning: wrap("1;33", text)
        case .info: wrap("1;36", text)
        }
    }
}
