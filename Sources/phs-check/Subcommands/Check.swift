import ArgumentParser
import Foundation
import SyncAudit

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the users from a DC, compare them with a cloud export, and report every password change that never synced.",
        discussion: "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad usage or input, 3 directory or Graph unreachable, or bind or app credential refused."
    )

    @OptionGroup(title: "Directory") var directory: DirectoryOptions
    @OptionGroup(title: "Several domains (the config file's domains:)") var domains: DomainOptions
    @OptionGroup(title: "Cloud") var cloud: CloudOptions
    @OptionGroup(title: "Microsoft Graph (--cloud graph)") var graph: GraphOptions
    @OptionGroup(title: "Comparison") var comparison: ComparisonOptions
    @OptionGroup(title: "Report") var report: ReportOptions
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let logger = global.makeLogger()
        try Output.refuseOverwriting(report.targets.map(\.path), inputs: [("--cloud", cloud.isGraph ? nil : cloud.cloud), ("--tenant", cloud.tenant), ("--history", report.history)])
        // With --history: opened first, and a run that fails from here on is recorded as failed.
        let recorder = try RunRecorder(report: report, global: global)
        try recorder.run {
            let warnings = Warnings(global: global)
            // The cloud side is read while the directory is: Graph on its own task, an export
            // file here while the directory is read on another thread (a bad file still fails
            // the run at once).
            let graphRead = try cloud.startGraph(graph, timeout: directory.timeoutSeconds, warnings: warnings, logger: logger)
            let directoryRead = BackgroundWork { [directory, domains, global] () throws(Failure) in
                try Comparison.Directory.live(directory, domains: domains, global: global, warnings: warnings, logger: logger)
            }
            let file = graphRead == nil ? try cloud.load() : nil
            let side = try directoryRead.value()
            let loaded = try file ?? cloud.finish(graphRead!)
            let status = try Comparison.run(side, cloud: loaded, comparison: comparison, warnings: warnings, recorder: recorder)
            if status != .clean { throw ExitCode(status.rawValue) }
        }
    }
}
