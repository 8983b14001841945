import ArgumentParser
import Foundation
import SyncAudit

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare a snapshot taken by `collect` with a cloud export, offline.",
        discussion: "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad usage or input."
    )

    @OptionGroup(title: "Snapshot") var snapshot: SnapshotOption
    @Flag(name: .customLong("allow-partial"), help: ArgumentHelp(
        "Compare a snapshot that holds a domain collect could not read (collect --allow-partial): it is reported as a domain-unreachable finding."))
    var allowPartial = false
    @OptionGroup(title: "Cloud") var cloud: CloudOptions
    @OptionGroup(title: "Comparison") var comparison: ComparisonOptions
    @OptionGroup(title: "Report") var report: ReportOptions
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if snapshot.paths.isEmpty { throw ValidationError("name the snapshot with --snapshot FILE (take one with phs-check collect --output FILE)") }
        if cloud.isGraph {
            throw ValidationError("compare works offline, on files: take the cloud side with phs-check export-cloud --output FILE and give that file, or read Graph live with check --cloud graph")
        }
    }

    func run() throws {
        _ = global.makeLogger()
        try Output.refuseOverwriting(report.targets.map(\.path), inputs: snapshot.paths.map { ("--snapshot", $0) } + [("--cloud", cloud.cloud),
                                                             ("--tenant", cloud.tenant), ("--history", report.history)])
        // With --history: opened first, and a run that fails from here on is recorded as failed.
        let recorder = try RunRecorder(report: report, global: global)
        try recorder.run {
            let warnings = Warnings(global: global)
            // The export is read on another core while the snapshot is read here.
            let export = BackgroundWork { [cloud] () throws(Failure) in try cloud.load() }
            let side = try Comparison.Directory.snapshots(snapshot.paths, limits: cloud.limits, allowPartial: allowPartial)
            let loaded = try export.value()
            let status = try Comparison.run(side, cloud: loaded, comparison: comparison, warnings: warnings, recorder: recorder)
            if status != .clean { throw ExitCode(status.rawValue) }
        }
    }
}

/// `--snapshot FILE`, repeatable: one snapshot per domain, or one file with a section per domain.
struct SnapshotOption: ParsableArguments {
    @Option(name: .customLong("snapshot"), help: ArgumentHelp(
        "A snapshot written by phs-check collect. Repeat for the snapshots of several domains.", valueName: "file"))
    var paths: [String] = []

    func validate() throws {
        if let twice = paths.first(where: { path in paths.filter { $0 == path }.count > 1 }) {
            throw ValidationError("--snapshot \(twice) is given twice: give each snapshot once")
        }
    }
}
