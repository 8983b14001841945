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
        // With --history: opened first, and a run that fails from here on is recorded as failed.
        let recorder = try RunRecorder(report: report, global: global)
        try recorder.run {
            // Read the export first: a bad file fails fast, before any network traffic.
            let loaded = try cloud.load()
            let session = try DirectorySession.open(directory, global: global, logger: logger)
            let progress = Progress(quiet: global.quiet)
            var users: [DirectoryUser] = []
            _ = try session.readUsers(onProgress: progress.update) { users.append($0) }
            progress.finish("\(users.count) directory users read")
            let source = AuditReport.DirectorySource(source: session.server, baseDN: session.baseDN, users: users.count)
            let status = try Comparison.run(directory: users, source: source, cloud: loaded, comparison: comparison,
                                            global: global, recorder: recorder)
            if status != .clean { throw ExitCode(status.rawValue) }
        }
    }
}
