public import SyncAudit
import Foundation

/// How the table lays out its findings (`--sort`, `--limit`, `--layout`, the terminal's size).
public struct TableLayout: Sendable, Hashable {
    public enum Order: String, Sendable, Hashable, CaseIterable {
        /// Errors first, then warnings, then info; within each, the report's order.
        case severity
        /// The longest-waiting password change first; findings without a waiting change last.
        case waited
        /// By sAMAccountName (else UPN), ignoring case.
        case name
        /// By code, in the catalogue's order.
        case code
    }

    public enum Style: String, Sendable, Hashable, CaseIterable {
        /// Several lines a finding: who, the two times, the message, the command.
        case full
        /// One line a finding; messages cut to the width. Commands and next steps in the JSON and CSV reports.
        case compact
        /// `compact` when the findings would not fit one screen (`screenLines`), else `full`.
        case auto
    }

    public var order: Order
    /// Show at most this many findings (the summary always counts them all).
    public var limit: Int?
    public var style: Style
    /// Wrap text at this many columns on word boundaries; nil: no wrapping (a file or pipe).
    public var width: Int?
    /// How many lines a screen has, for `auto`.
    public var screenLines: Int
    public var color: Bool

    public init(order: Order = .severity, limit: Int? = nil, style: Style = .full, width: Int? = nil,
                screenLines: Int = 24, color: Bool = false) {
        self.order = order
        self.limit = limit
        self.style = style
        self.width = width
        self.screenLines = screenLines
        self.color = color
    }

    /// Whether `findings` findings are shown one line each.
    func compact(_ findings: Int) -> Bool {
        switch style {
        case .full: false
        case .compact: true
        // A full finding takes about three lines.
        case .auto: findings * 3 > screenLines
        }
    }
}

/// `--format table`: for a person at a terminal. The summary first, then the findings (errors
/// first by default), each with who, the two times, and what to do, then the findings by
/// container, the next steps, and the summary's counts again so that they are on screen when
/// the report ends. Colour only when asked (the caller decides: a TTY and no `NO_COLOR`).
public enum TableReport {
    public static func render(_ report: AuditReport, color: Bool) -> String {
        render(report, layout: TableLayout(color: color))
    }

    public static func render(_ report: AuditReport, layout: TableLayout) -> String {
        var text = ""
        write(report, layout: layout, to: &text)
        return text
    }

    public static func write(_ report: AuditReport, color: Bool, to out: inout some TextOutputStream) {
        write(report, layout: TableLayout(color: color), to: &out)
    }

    /// Writes the report a line at a time.
    public static func write(_ report: AuditReport, layout: TableLayout, to out: inout some TextOutputStream) {
        let paint = Paint(enabled: layout.color)
        let wrap = Wrapper(width: layout.width)
        let settings = report.result.settings
        out.write(paint.bold("phs-check \(report.version)") + "  " + Timestamp.format(report.generatedAt) + "\n\n")
        out.write(warningBanner(report.warnings, paint: paint, wrap: wrap))
        let source: String = switch settings.asOfSource {
        case .option: "from --as-of"
        case .graph: "when the Graph read began"
        case .inferred: "newest time in the export"
        }
        let rows: [(String, String)] = [
            ("Directory", "\(report.directory.source)\(report.directory.baseDN.map { "  \($0)" } ?? "")  \(report.directory.users) users"),
            ("Cloud", "\(report.cloud.source) (\(report.cloud.format))  \(report.cloud.users) users"),
            ("As of", "\(Timestamp.format(settings.asOf)) (\(source)); grace \(Self.duration(settings.grace)), max skew \(Self.duration(settings.maxSkew))\(settings.selectivePHS == .exclude ? "" : "; selective PHS \(settings.selectivePHS.rawValue)")"),
            ("Matched", "\(report.result.matched) users, \(report.result.inSync) with their latest password in the cloud"),
        ]
        for (label, value) in rows { out.write(wrap.lines(terminalSafe(value), first: "  " + pad(label, 10), rest: String(repeating: " ", count: 13))) }
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
        out.write(countsLine(report, paint: paint) + "\n")
        for (code, n) in report.countsByCode {
            out.write("    " + pad(code.rawValue, 30) + String(n) + "\n")
        }

        let ordered = order(report, by: layout.order)
        let shown = layout.limit.map { min($0, ordered.count) } ?? ordered.count
        let compact = layout.compact(shown)
        // Sections by severity when sorted by it; accepted findings in a section of their own.
        let headings = ordered.prefix(shown).map { finding in
            finding.accepted != nil ? "ACCEPTED" : (layout.order == .severity ? Self.plural(finding.severity, 2).uppercased() : "FINDINGS")
        }
        let sectionSizes = Dictionary(headings.map { ($0, 1) }, uniquingKeysWith: +)
        var section: String?
        for (finding, heading) in zip(ordered.prefix(shown), headings) {
            if heading != section {
                section = heading
                let title = heading + " (\(sectionSizes[heading] ?? 0))"
                out.write("\n" + (heading == "ACCEPTED" || heading == "FINDINGS" ? paint.bold(title) : paint.severity(finding.severity, title)) + "\n")
            }
            let waited = report.result.waited(finding)
            if compact {
                out.write(compactLine(finding, waited: waited, byDomain: byDomain, paint: paint, width: layout.width) + "\n")
            } else {
                writeFull(finding, waited: waited, byDomain: byDomain, paint: paint, wrap: wrap, to: &out)
            }
        }
        if shown < ordered.count {
            out.write("\n" + paint.bold("\(ordered.count - shown) more findings not shown (--limit \(shown)):") + " every finding is in --format csv, json or html.\n")
        }

        let containers = report.containers
        if containers.count > 1 || containers.first.map({ $0.total > 1 }) == true {
            out.write("\nBY CONTAINER (where the findings are; a cluster points at one OU's sync scope or policy)\n")
            for summary in containers.prefix(10) {
                let codes = summary.codes.map { "\($0.count) \($0.code.rawValue)" }.joined(separator: ", ")
                out.write(wrap.lines(terminalSafe(summary.container) + "  " + paint.dim(codes), first: "  " + pad(String(summary.total), 6), rest: String(repeating: " ", count: 10)))
            }
            if containers.count > 10 { out.write("  … \(containers.count - 10) more containers\n") }
        }

        // What each code means for anyone, once per code rather than once per finding.
        out.write("\nNEXT STEPS\n")
        for (code, _) in report.countsByCode {
            out.write(wrap.lines(code.entry.nextStep, first: "  " + paint.bold(code.rawValue) + "  ", firstWidth: code.rawValue.count + 4, rest: "    "))
        }
        // The counts again, so that they are on screen when a long report ends.
        out.write("\n" + paint.bold("Summary") + "  " + countsLine(report, paint: paint).drop { $0 == " " } + "\n")
    }

    /// `3 errors   1 warning   2 info`, and the accepted findings when there are any.
    static func countsLine(_ report: AuditReport, paint: Paint) -> String {
        var parts = [Severity.error, .warning, .info].map { severity in
            let n = report.count(severity)
            return paint.severity(severity, "\(n) \(Self.plural(severity, n))")
        }
        let accepted = report.acceptedCount
        if accepted > 0 { parts.append("\(accepted) accepted") }
        return "  " + parts.joined(separator: "   ")
    }

    /// The findings in the order `order` asks for; accepted findings after all others.
    static func order(_ report: AuditReport, by order: TableLayout.Order) -> [Finding] {
        let findings = report.findings
        let keys: [(Int, Int, Double, String, Int)] = findings.enumerated().map { index, finding in
            let accepted = finding.accepted == nil ? 0 : 1
            switch order {
            case .severity:
                return (accepted, -(Severity.allCases.firstIndex(of: finding.severity) ?? 0), 0, "", index)
            case .waited:
                return (accepted, 0, -(report.result.waited(finding) ?? -.infinity), "", index)
            case .name:
                return (accepted, 0, 0, (finding.samAccountName ?? finding.userPrincipalName ?? "\u{10FFFF}").lowercased(), index)
            case .code:
                return (accepted, FindingCode.allCases.firstIndex(of: finding.code) ?? 0, 0, "", index)
            }
        }
        return keys.sorted { $0 < $1 }.map { findings[$0.4] }
    }

    /// One line: severity letter, code, who, how long it waited, the status with history, and
    /// the message cut to what is left of `width` (at least 12 columns of it).
    static func compactLine(_ finding: Finding, waited: TimeInterval?, byDomain: Bool, paint: Paint, width: Int?) -> String {
        let f = FindingFields(finding).mapped { terminalSafe($0) }
        var who = subject(f, finding)
        if byDomain, finding.scope == .user, let domain = f.domain { who += " (" + domain + ")" }
        let mark = String(finding.severity.rawValue.prefix(1).uppercased())
        var columns = " " + pad(f.code, 28) + pad(cut(who, byDomain ? 33 : 21), byDomain ? 34 : 22)
            + pad(waited.map(HumanDuration.format) ?? "", 11)
        if let status = f.status { columns += pad(status, 11) }
        var message = f.message
        if let width {
            let room = max(width - 1 - columns.count, 12)
            message = cut(message, room)
        }
        return paint.severity(finding.severity, mark) + columns + message
    }

    /// Whom or what a finding is about: the user's name, else the domain or the tenant.
    static func subject(_ f: FindingFields, _ finding: Finding) -> String {
        f.samAccountName ?? f.userPrincipalName ?? f.cloudId ?? (finding.scope == .domain ? "domain \(f.domain ?? "?")" : "tenant")
    }

    /// `text` cut to `limit` characters, the last one `…` when cut.
    static func cut(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    static func writeFull(_ finding: Finding, waited: TimeInterval?, byDomain: Bool, paint: Paint, wrap: Wrapper,
                          to out: inout some TextOutputStream) {
        let f = FindingFields(finding).mapped { terminalSafe($0) }
        var who = [subject(f, finding)]
        if let upn = f.userPrincipalName, upn != who[0] { who.append(upn) }
        var line = "  " + paint.bold(f.code) + "  " + who.joined(separator: "  ")
        if let status = f.status {
            line += "  [\(status)" + (f.runsOpen.map { $0 > 1 ? ", \($0) runs" : "" } ?? "") + "]"
        }
        out.write(line + "\n")
        var facts: [String] = []
        if let onPrem = f.onPremPasswordLastSet { facts.append("on-prem \(onPrem)") }
        if finding.scope == .user, finding.cloudUser != nil { facts.append("cloud \(f.cloudLastPasswordChange ?? "never")") }
        if let waited { facts.append("waited \(HumanDuration.format(waited))") }
        if let matchedBy = f.matchedBy { facts.append("matched by \(matchedBy)") }
        if byDomain, finding.scope == .user, let domain = f.domain { facts.append("domain \(domain)") }
        if let firstSeen = f.firstSeen, f.status == "persisting" { facts.append("first seen \(firstSeen)") }
        if !facts.isEmpty { out.write(wrap.lines(facts.joined(separator: ", "), first: "    ", rest: "    ", style: paint.dim)) }
        out.write(wrap.lines(f.message, first: "    ", rest: "    "))
        if let accepted = f.accepted, let until = f.acceptedUntil {
            out.write(wrap.lines("Accepted until \(until): \(accepted) (\(terminalSafe(finding.accepted?.place ?? "")))", first: "    ", rest: "    "))
        }
        // A command is never wrapped: what is copied from the terminal must be the command.
        if let command = f.command { out.write("    Run: " + command + "\n") }
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
func warningBanner(_ warnings: [RunWarning], paint: Paint, wrap: Wrapper = Wrapper(width: nil)) -> String {
    guard !warnings.isEmpty else { return "" }
    var out = paint.severity(.warning, "WARNINGS (\(warnings.count)): this result is less than certain") + "\n"
    for warning in warnings {
        out += wrap.lines(terminalSafe(warning.message), first: "  " + paint.bold(warning.code.rawValue) + "  ",
                          firstWidth: warning.code.rawValue.count + 4, rest: "    ")
    }
    return out + "\n"
}

/// Wraps text on spaces to a width; a word longer than a line stays whole on a line of its own
/// (a UPN or a DN is never cut). Without a width, one line.
struct Wrapper {
    let width: Int?

    /// `text` as lines, each ending in a newline: the first after `first` (of visible width
    /// `firstWidth`, when it holds escape codes), the others after `rest`.
    func lines(_ text: String, first: String, firstWidth: Int? = nil, rest: String, style: (String) -> String = { $0 }) -> String {
        guard let width else { return first + style(text) + "\n" }
        var out = ""
        var line = ""
        var prefix = first
        var room = width - (firstWidth ?? first.count)
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= room {
                line += " " + word
            } else {
                out += prefix + style(line) + "\n"
                prefix = rest
                room = width - rest.count
                line = String(word)
            }
        }
        return out + prefix + style(line) + "\n"
    }
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
