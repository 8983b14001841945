import ArgumentParser
import Foundation
import SyncAudit

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the users from a DC, compare them with a cloud export, and report every password change that never synced.",
        discussion: "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad usage or input, 3 directory unreachable or bind refused."
    )

    @OptionGroup(title: "Directory") var directory: DirectoryOptions
    @OptionGroup(title: "Cloud") var cloud: CloudOptions
    @OptionGroup(title: "Comparison") var comparison: ComparisonOptions
    @OptionGroup(title: "Report") var report: ReportOptions
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let logger = global.makeLogger()
        try Output.refuseOverwriting(report.output, inputs: [("--cloud", cloud.cloud), ("--tenant", cloud.tenant), ("--history", report.history)])
        // With --history: opened first, and a run that fails from here on is recorded as failed.
        let recorder = try RunRecorder(report: report, global: global)
        try recorder.run {
            let warnings = Warnings(global: global)
            // Read the export first: a bad file fails fast, before any network traffic.
            let loaded = try cloud.load()
            let side = try Comparison.Directory.live(directory, global: global, warnings: warnings, logger: logger)
            let status = try Comparison.run(side, cloud: loaded, comparison: comparison, warnings: warnings, recorder: recorder)
            if status != .clean { throw ExitCode(status.rawValue) }
        }
    }
}
