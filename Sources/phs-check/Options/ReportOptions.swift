public import ArgumentParser
import Foundation
import Reports
import SyncAudit

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv, html, prometheus

    /// The format a file name's extension says, when it says one.
    init?(extensionOf path: String) {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "html", "htm": self = .html
        case "json": self = .json
        case "csv": self = .csv
        case "prom": self = .prometheus
        default: return nil
        }
    }
}

/// One report a run writes: `--report FORMAT:FILE`, or `--format`/`--output`.
struct ReportTarget: ExpressibleByArgument, Hashable {
    var format: ReportFormat
    /// A file, or "-" for standard output.
    var path: String

    init(format: ReportFormat, path: String) {
        self.format = format
        self.path = path
    }

    init?(argument: String) {
        guard let colon = argument.firstIndex(of: ":"), let format = ReportFormat(rawValue: argument[..<colon].lowercased()) else { return nil }
        let path = String(argument[argument.index(after: colon)...])
        guard !path.isEmpty else { return nil }
        self.init(format: format, path: path)
    }

    var isStandardOutput: Bool { path == "-" }
    /// How messages name it.
    var name: String { isStandardOutput ? "standard output" : path }
}

enum FailOn: String, ExpressibleByArgument, CaseIterable {
    case error, warning, new, never

    /// The plural reads as naturally (`--fail-on warnings`) and means the same.
    init?(argument: String) {
        let word = argument.lowercased()
        if let value = FailOn(rawValue: word) {
            self = value
        } else if word.hasSuffix("s"), let value = FailOn(rawValue: String(word.dropLast())), value == .error || value == .warning {
            self = value
        } else {
            return nil
        }
    }

    /// Exit 1 when the worst finding no exception accepts is at least this severe; for `new`,
    /// when an error or warning was not in the previous recorded run.
    func status(_ report: AuditReport) -> ExitStatus {
        self == .new ? FailOn.warning.status(worst: report.worstNewSeverity) : status(worst: report.worstSeverity)
    }

    /// Exit 1 when `worst` is at least this severe (`new` is judged by `status(_:)` alone).
    func status(worst: Severity?) -> ExitStatus {
        guard let worst else { return .clean }
        switch self {
        case .never, .new: return .clean
        case .warning: return worst >= .warning ? .findings : .clean
        case .error: return worst >= .error ? .findings : .clean
        }
    }
}

enum CSVDelimiter: String, ExpressibleByArgument, CaseIterable {
    case comma, semicolon, tab

    init?(argument: String) {
        switch argument.lowercased() {
        case "comma", ",": self = .comma
        case "semicolon", ";": self = .semicolon
        case "tab", "\t", "\\t": self = .tab
        default: return nil
        }
    }

    var character: UInt8 {
        switch self {
        case .comma: UInt8(ascii: ",")
        case .semicolon: UInt8(ascii: ";")
        case .tab: UInt8(ascii: "\t")
        }
    }
}

extension TableLayout.Order: ExpressibleByArgument {}
extension TableLayout.Style: ExpressibleByArgument {}
extension SelectivePHS: ExpressibleByArgument {}

/// How to write the report and when to fail.
struct ReportOptions: ParsableArguments {
    @Option(name: .customLong("format"), help: ArgumentHelp(
        "table, json, csv, html (one self-contained page) or prometheus (node_exporter textfile collector). Default: what --output's extension says (.html, .json, .csv, .prom), else table.",
        valueName: "table|json|csv|html|prometheus"))
    var formatOption: ReportFormat?

    @Option(name: .customLong("output"), help: ArgumentHelp("Write the report to this file (atomically) instead of standard output; with --format prometheus, point it into the textfile collector's directory (e.g. .../phs-check.prom): the collector never sees a half-written file.", valueName: "file"),
            completion: .file())
    var output: String?

    @Option(name: .customLong("report"), help: ArgumentHelp(
        "Also write this report, from the same run: FORMAT:FILE (html:/var/www/phs.html, json:/var/lib/phs-check/last.json, prometheus:/var/lib/node_exporter/phs-check.prom; - for standard output). Repeatable. Without --format and --output, only these reports are written.",
        valueName: "format:file"), completion: .file())
    var reports: [ReportTarget] = []

    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit 1 when a finding no exception accepts is at least this severe: error, warning or never (errors and warnings work too); new: only for an error or warning the previous run (--history) did not have.", valueName: "error|warning|new|never"))
    var failOn: FailOn = .error

    @Option(name: .customLong("history"), help: ArgumentHelp(
        "Record this run in an SQLite history (created when missing): findings get new or persisting, and the summary counts those resolved since the previous run.",
        valueName: "file"), completion: .file())
    var history: String?

    @Option(name: .customLong("sort"), help: ArgumentHelp(
        "Table: order the findings by severity (errors first), waited (longest-waiting change first), name or code.",
        valueName: "severity|waited|name|code"))
    var sort: TableLayout.Order = .severity

    @Option(name: .customLong("limit"), help: ArgumentHelp(
        "Table: show at most this many findings (the counts still cover all of them); 0 shows all.", valueName: "n"))
    var limit: Int?

    @Option(name: .customLong("layout"), help: ArgumentHelp(
        "Table: full (several lines a finding, with its command), compact (one line a finding) or auto (compact when the findings would not fit the terminal's screen).",
        valueName: "full|compact|auto"))
    var layout: TableLayout.Style = .auto

    @Option(name: .customLong("csv-delimiter"), help: ArgumentHelp(
        "CSV: the separator between cells: comma, or semicolon for Excel in cultures whose list separator is ';' (German, French, ...), or tab.",
        valueName: "comma|semicolon|tab"))
    var csvDelimiter: CSVDelimiter = .comma

    /// `--format`, else the format `--output`'s extension names, else the table.
    var format: ReportFormat {
        formatOption ?? output.flatMap(ReportFormat.init(extensionOf:)) ?? .table
    }

    /// Every report the run writes: `--format`/`--output` (the table on standard output when
    /// neither nor --report is given), then each --report.
    var targets: [ReportTarget] {
        let primary = ReportTarget(format: format, path: output ?? "-")
        return formatOption != nil || output != nil || reports.isEmpty ? [primary] + reports : reports
    }

    func validate() throws {
        if let formatOption, let output, let named = ReportFormat(extensionOf: output), named != formatOption {
            throw ValidationError("--output \(output) names a \(named.rawValue) file, but --format is \(formatOption.rawValue): give the file the format's extension, or drop --format to write \(named.rawValue)")
        }
        for target in reports {
            if !target.isStandardOutput, let named = ReportFormat(extensionOf: target.path), named != target.format {
                throw ValidationError("--report \(target.format.rawValue):\(target.path) names a \(named.rawValue) file: give the file the \(target.format.rawValue) extension, or write \(named.rawValue):\(target.path)")
            }
        }
        var seen = Set<String>()
        for target in targets {
            let key = target.isStandardOutput ? "-" : URL(fileURLWithPath: target.path).standardizedFileURL.path
            guard seen.insert(key).inserted else {
                throw ValidationError("two reports would be written to \(target.name): give each --report its own file (one may be -, standard output)")
            }
        }
        if failOn == .new, history == nil {
            throw ValidationError("--fail-on new compares with the previous run: add --history FILE (the same file every night)")
        }
        if let limit, limit < 0 {
            throw ValidationError("--limit \(limit): give the number of findings to show, or 0 for all of them")
        }
    }

    /// What a failed run leaves in place of each report, so that what is published never looks
    /// like last night's result: for prometheus, `phs_check_run_success 0` (and the time) so
    /// that an alert fires; for html written to a file, a failure page (what failed, when, and
    /// when the last good report was made). Other formats write nothing.
    func emitFailure(at date: Date, message: String?, lastGoodReport: Date?, global: GlobalOptions) {
        for target in targets {
            let text: String
            switch target.format {
            case .prometheus:
                text = PrometheusReport.renderFailure(at: date, message: message)
            case .html where !target.isStandardOutput:
                text = HTMLReport.renderFailure(at: date, message: message, lastGoodReport: lastGoodReport, version: PHSCheck.version)
            default:
                continue
            }
            do {
                let out = try Output(path: target.path)
                try out.write(text)
                try out.commit()
            } catch {
                global.warn("could not write the \(target.format.rawValue) failure report to \(target.name): \(error.message)")
            }
        }
    }

    /// Renders every report, then moves the files into place; returns the exit status
    /// `--fail-on` asks for. A report that cannot be written fails the run before any file
    /// is moved into place, so that the reports of one run agree.
    func emit(_ report: AuditReport) throws(Failure) -> ExitStatus {
        var outputs: [Output] = []
        for target in targets {
            // validate() refused two targets on one path, so a target is either --report's or --output's.
            let out = try Output(path: target.path, option: reports.contains(target) ? "--report" : "--output")
            // Table, JSON and CSV are written as they are rendered: their size grows with the findings.
            var stream = Output.Stream(out)
            switch target.format {
            case .table: TableReport.write(report, layout: tableLayout(toTerminal: target.isStandardOutput), to: &stream)
            case .json: JSONReport.write(report, to: &stream)
            case .csv: CSVReport.write(report, delimiter: csvDelimiter.character, to: &stream)
            case .html: stream.write(HTMLReport.render(report))
            case .prometheus: stream.write(PrometheusReport.render(report))
            }
            try stream.finish()
            outputs.append(out)
        }
        // Every file written and synced before the first is moved into place: a disk that fills
        // on the last report leaves none of this run's reports published.
        for out in outputs { try out.finishWriting() }
        for out in outputs { try out.commit() }
        return failOn.status(report)
    }

    /// The table's layout: on a terminal, its width and height; to a file or pipe, no wrapping.
    func tableLayout(toTerminal: Bool) -> TableLayout {
        let size = toTerminal ? Terminal.size() : nil
        return TableLayout(order: sort, limit: limit == 0 ? nil : limit, style: size == nil && layout == .auto ? .full : layout,
                           width: size?.columns, screenLines: size?.lines ?? 24,
                           color: toTerminal && Self.colorOnStandardOutput)
    }

    /// Colour only on a terminal, and never with NO_COLOR (https://no-color.org).
    static var colorOnStandardOutput: Bool {
        isatty(STDOUT_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
    }
}

/// The size of the terminal standard output is, if it is one.
enum Terminal {
    static func size() -> (columns: Int, lines: Int)? {
        guard isatty(STDOUT_FILENO) == 1 else { return nil }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 {
            return (Int(size.ws_col), Int(size.ws_row))
        }
        let environment = ProcessInfo.processInfo.environment
        return (environment["COLUMNS"].flatMap(Int.init) ?? 80, environment["LINES"].flatMap(Int.init) ?? 24)
    }
}
