import ArgumentParser
import Foundation
import SyncAudit

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare a snapshot taken by `collect` with a cloud export, offline.",
        discussion: "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad usage or input."
    )

    @OptionGroup(title: "Snapshot") var snapshot: SnapshotOption
    @OptionGroup(title: "Cloud") var cloud: CloudOptions
    @OptionGroup(title: "Comparison") var comparison: ComparisonOptions
    @OptionGroup(title: "Report") var report: ReportOptions
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if snapshot.path == nil { throw ValidationError("name the snapshot with --snapshot FILE (take one with phs-check collect --output FILE)") }
        if cloud.isGraph {
            throw ValidationError("compare works offline, on files: take the cloud side with phs-check export-cloud --output FILE and give that file, or read Graph live with check --cloud graph")
        }
    }

    func run() throws {
        _ = global.makeLogger()
        try Output.refuseOverwriting(report.output, inputs: [("--snapshot", snapshot.path), ("--cloud", cloud.cloud),
                                                             ("--tenant", cloud.tenant), ("--history", report.history)])
        // With --history: opened first, and a run that fails from here on is recorded as failed.
        let recorder = try RunRecorder(report: report, global: global)
        try recorder.run {
            let warnings = Warnings(global: global)
            let side = try Comparison.Directory.snapshot(snapshot.path ?? "", limits: cloud.limits)
            let loaded = try cloud.load()
            let status = try Comparison.run(side, cloud: loaded, comparison: comparison, warnings: warnings, recorder: recorder)
            if status != .clean { throw ExitCode(status.rawValue) }
        }
    }
}

/// `--snapshot FILE`: one snapshot per run. The option is declared repeatable only so that a
/// second one is refused instead of silently replacing the first.
struct SnapshotOption: ParsableArguments {
    @Option(name: .customLong("snapshot"), help: ArgumentHelp("A snapshot written by phs-check collect.", valueName: "file"))
    var paths: [String] = []

    var path: String? { paths.first }

    func validate() throws {
        if paths.count > 1 {
            throw ValidationError("--snapshot is given \(paths.count) times: a run reads one snapshot (one domain); give it once")
        }
    }
}
