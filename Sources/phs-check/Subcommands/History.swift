import ArgumentParser
import Foundation
import Reports
import RunHistory
import SyncAudit

enum HistoryFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the runs recorded with --history, and what one of them found new and resolved.",
        usage: "phs-check history --history <file> [--run <n>] [--limit <n>] [--format table|json]",
        discussion: """
            Lists the runs newest first — when, as of when, the counts, and whether the run failed — \
            then the findings of one run (--run N; default: the latest successful run) that are new \
            since the successful run before it, and the findings of that run that are resolved. \
            The database is only read: reading it needs read permission on the file (e.g. a member \
            of the phs-check group, with the history at mode 0640 in a folder at 0750). Without \
            write permission on the folder, SQLite cannot make its lock file beside the database, \
            so the file is read without locks, with a warning: a run recorded at that very moment \
            may be missing.

            Exit codes: 0, 2 the database is missing or unreadable, or has no run N.
            """
    )

    @Option(name: .customLong("history"), help: ArgumentHelp("The history database written by check or compare --history.", valueName: "file"), completion: .file())
    var history: String

    @Option(name: .customLong("run"), help: ArgumentHelp("The run whose new and resolved findings to show (default: the latest successful run).", valueName: "n"))
    var runID: Int64?

    @Option(name: .customLong("limit"), help: ArgumentHelp("List at most this many runs; 0 lists them all.", valueName: "n"))
    var limit: Int = 20

    @Option(name: .customLong("format"), help: ArgumentHelp("table or json.", valueName: "table|json"))
    var format: HistoryFormat = .table

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if limit < 0 { throw ValidationError("--limit \(limit): give 0 (all runs) or more") }
        if let runID, runID < 1 { throw ValidationError("--run \(runID): runs are numbered from 1") }
    }

    func run() throws {
        _ = global.makeLogger()
        let (runs, diff, probes): ([RunSummary], RunDiff?, [ProbeRecord])
        do {
            let store = try RunHistoryStore(path: history, access: .readOnly)
            defer { store.close() }
            if store.readsWithoutLocks {
                global.warn("--history \(history): no write permission on its folder for SQLite's lock file, so it is read without locks: a run being recorded right now, or one whose recorder was killed before it closed the file, may be missing")
            }
            runs = try store.runs(limit: limit == 0 ? nil : limit)
            diff = try store.diff(run: runID)
            probes = try store.probes(limit: limit == 0 ? nil : limit)
        } catch {
            throw Failure.usage("--history \(error.message)")
        }
        let text = switch format {
        case .table: HistoryReport.table(path: history, runs: runs, diff: diff, limited: limit != 0 && runs.count == limit, probes: probes)
        case .json: HistoryReport.json(path: history, runs: runs, diff: diff, version: PHSCheck.version, probes: probes)
        }
        let out = try Output(path: nil)
        try out.write(text)
        try out.commit()
    }
}
