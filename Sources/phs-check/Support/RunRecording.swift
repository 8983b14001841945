import ArgumentParser
import Foundation
import RunHistory
import SyncAudit

/// `--history DB` for `check` and `compare`: every run that gets past argument parsing is
/// recorded, whole or as a failed run, never half.
///
/// Order of a run, and why:
/// 1. The history is opened (created and migrated when new) before anything else, so a bad
///    `--history` path fails at once with exit 2 — before the export is read or the DC asked.
/// 2. The comparison runs; nothing is written to the history while it does.
/// 3. `emit` opens one `BEGIN IMMEDIATE` transaction (`RunHistoryStore.record`). Inside it,
///    holding SQLite's write lock: read the latest successful run, fill every finding's
///    `status` and the report's `summary.resolved` against it, insert the run and its
///    findings, render and write the report (for `--output`, the file is renamed into place),
///    and only then commit. Because the previous run is read under the same lock that the
///    insert holds, two concurrent runs cannot both take the same "previous" run: the second
///    waits (up to the busy timeout) and compares with the first. Because the report is
///    written before the commit, a run is recorded only when its report is complete.
/// 4. Anything that fails — the export unreadable, the DC unreachable, an empty comparison,
///    a report that cannot be written — rolls back what step 3 had inserted, and `run` then
///    records a failed run (its time and the message, no findings) in a transaction of its own
///    and rethrows. A failed run is never the "previous" run of a later one.
///
/// The one window left: the report is out but the commit itself fails (disk full, I/O
/// error). The command then says so and exits 2; the next run compares with the last run
/// that was recorded.
///
/// The cost: the write lock is held while the report is rendered and written — milliseconds
/// for a file, longer only when standard output is a pipe nobody reads. Another run waits for
/// it up to `RunHistoryStore.defaultBusyTimeout` (120 s), then gives up with exit 2 and records nothing.
final class RunRecorder {
    let store: RunHistoryStore?
    let startedAt: Date
    private let global: GlobalOptions
    private let report: ReportOptions
    /// The history itself failed: do not try to record a failed run in it as well.
    private var historyFailed = false

    /// Opens the history named by `--history`; without it, reports go out as they always did.
    init(report: ReportOptions, global: GlobalOptions, startedAt: Date = Date()) throws(Failure) {
        self.startedAt = startedAt
        self.global = global
        self.report = report
        guard let path = report.history else {
            store = nil
            return
        }
        do {
            store = try RunHistoryStore(path: path)
        } catch {
            throw .usage("--history \(error.message)")
        }
    }

    /// Runs the command's work. When it fails and `--history` is given, records a failed run
    /// with the failure's message, then rethrows. `ExitCode` (findings at or above `--fail-on`)
    /// is a run that succeeded and passes through.
    func run(_ body: () throws -> Void) throws {
        defer { store?.close() }
        do {
            try Interruption.during({ message in self.failed(message) }, body)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            failed((error as? Failure)?.message ?? String(describing: error))
            throw error
        }
    }

    /// A run that failed (or was interrupted): monitoring must see it as failed, not as last
    /// night's numbers — the failure documents, and with `--history` a failed run.
    private func failed(_ message: String) {
        let lastGood = historyFailed ? nil : (try? store?.latestSuccessfulRun())??.finishedAt
        report.emitFailure(at: startedAt, message: message, lastGoodReport: lastGood, global: global)
        guard let store, !historyFailed else { return }
        do {
            try store.recordFailure(startedAt: startedAt, message: message, toolVersion: PHSCheck.version)
        } catch {
            global.warn("--history could not record this failed run: \(error.message)")
        }
    }

    /// Writes the report; with `--history`, fills `status` and `summary.resolved` and records
    /// the run in the transaction described above. Returns the exit status `--fail-on` asks for.
    func emit(_ report: AuditReport) throws(Failure) -> ExitStatus {
        let status = try write(report)
        // Each report written to a file says so on standard error, with its counts.
        if !global.quiet {
            var counts = [Severity.error, .warning, .info].map { "\(report.count($0)) \($0.rawValue)\(report.count($0) == 1 || $0 == .info ? "" : "s")" }
            if report.acceptedCount > 0 { counts.append("\(report.acceptedCount) accepted") }
            for target in self.report.targets where !target.isStandardOutput {
                PHSCheck.printError("phs-check: wrote \(target.path) (\(target.format.rawValue)): \(counts.joined(separator: ", "))")
            }
        }
        return status
    }

    private func write(_ report: AuditReport) throws(Failure) -> ExitStatus {
        guard let store else { return try self.report.emit(report) }
        var status = ExitStatus.clean
        var written = false
        do {
            try store.record(report: report, startedAt: startedAt) { run in
                status = try self.report.emit(run.report)
                written = true
            }
            return status
        } catch let failure as Failure {
            throw failure
        } catch {
            historyFailed = true
            let message = (error as? RunHistoryError)?.message ?? String(describing: error)
            if written {
                throw .usage("the report was written, but --history could not record the run: \(message)")
            }
            throw .usage("--history could not record the run, so no report was written: \(message)")
        }
    }
}
