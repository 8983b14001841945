import ArgumentParser
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

enum FailOn: String, ExpressibleByArgument, CaseIterable {
    case error, warning, never

    /// The plural reads as naturally (`--fail-on warnings`) and means the same.
    init?(argument: String) {
        let word = argument.lowercased()
        if let value = FailOn(rawValue: word) {
            self = value
        } else if word.hasSuffix("s"), let value = FailOn(rawValue: String(word.dropLast())), value != .never {
            self = value
        } else {
            return nil
        }
    }

    /// Exit 1 when the worst finding is at least this severe.
    func status(worst: Severity?) -> ExitStatus {
        guard let worst else { return .clean }
        switch self {
        case .never: return .clean
        case .warning: return worst >= .warning ? .findings : .clean
        case .error: return worst >= .error ? .findings : .clean
        }
    }
}

/// How to write the report and when to fail.
struct ReportOptions: ParsableArguments {
    @Option(name: .customLong("format"), help: ArgumentHelp(
        "table, json, csv, html (one self-contained page) or prometheus (node_exporter textfile collector). Default: what --output's extension says (.html, .json, .csv, .prom), else table.",
        valueName: "format"))
    var formatOption: ReportFormat?

    /// `--format`, else the format `--output`'s extension names, else the table.
    var format: ReportFormat {
        formatOption ?? output.flatMap(ReportFormat.init(extensionOf:)) ?? .table
    }

    @Option(name: .customLong("output"), help: ArgumentHelp("Write the report to this file (atomically) instead of standard output; with --format prometheus, point it into the textfile collector's directory (e.g. .../phs-check.prom): the collector never sees a half-written file.", valueName: "file"))
    var output: String?

    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit 1 when a finding is at least this severe: error, warning or never (errors and warnings work too).", valueName: "severity"))
    var failOn: FailOn = .error

    @Option(name: .customLong("history"), help: ArgumentHelp(
        "Record this run in an SQLite history (created when missing): findings get new or persisting, and the summary counts those resolved since the previous run.",
        valueName: "db"))
    var history: String?

    func validate() throws {
        if let formatOption, let output, let named = ReportFormat(extensionOf: output), named != formatOption {
            throw ValidationError("--output \(output) names a \(named.rawValue) file, but --format is \(formatOption.rawValue): give the file the format's extension, or drop --format to write \(named.rawValue)")
        }
    }

    /// What a failed run leaves in place of the report, so that what is published never looks
    /// like last night's result: for `--format prometheus`, `phs_check_run_success 0` (and the
    /// time) so that an alert fires; for `--format html` with `--output`, a failure page (what
    /// failed, when, and when the last good report was made). Other formats write nothing.
    func emitFailure(at date: Date, message: String?, lastGoodReport: Date?, global: GlobalOptions) {
        let text: String
        switch format {
        case .prometheus:
            text = PrometheusReport.renderFailure(at: date, message: message)
        case .html where output != nil:
            text = HTMLReport.renderFailure(at: date, message: message, lastGoodReport: lastGoodReport, version: PHSCheck.version)
        default:
            return
        }
        do {
            let out = try Output(path: output)
            try out.write(text)
            try out.commit()
        } catch {
            global.warn("could not write the \(format.rawValue) failure report: \(error.message)")
        }
    }

    /// Renders and writes the report; returns the exit status `--fail-on` asks for.
    func emit(_ report: AuditReport) throws(Failure) -> ExitStatus {
        let out = try Output(path: output)
        // Table, JSON and CSV are written as they are rendered: their size grows with the findings.
        var stream = Output.Stream(out)
        switch format {
        case .table: TableReport.write(report, color: output == nil && Self.colorOnStandardOutput, to: &stream)
        case .json: JSONReport.write(report, to: &stream)
        case .csv: CSVReport.write(report, to: &stream)
        case .html: stream.write(HTMLReport.render(report))
        case .prometheus: stream.write(PrometheusReport.render(report))
        }
        try stream.finish()
        try out.commit()
        return failOn.status(worst: report.worstSeverity)
    }

    /// Colour only on a terminal, and never with NO_COLOR (https://no-color.org).
    static var colorOnStandardOutput: Bool {
        isatty(STDOUT_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
    }
}
