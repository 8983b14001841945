import CloudExport
import Foundation
import SyncAudit

/// The comparison `check`, `compare` and `explain` share: the settings, the judgement (refused
/// when it could only look cleaner than the truth), and the warnings for the report.
enum Comparison {
    /// The directory side as read: its users, and where and when they were read.
    struct Directory {
        var users: [DirectoryUser]
        var source: AuditReport.DirectorySource
    }

    /// Judges both sides; `explaining` keeps those users' traces. Warnings are printed and kept
    /// in `warnings`.
    static func judge(_ directory: Directory, cloud: CloudOptions.Loaded, comparison: ComparisonOptions,
                      warnings: Warnings, explaining: Set<Int> = []) throws(Failure) -> AuditResult {
        cloud.summary.warnings.forEach(warnings.add)
        let settings = try comparison.settings(cloud: cloud, directoryReadAt: directory.source.readAt)
        do {
            let result = try Audit.judge(directory: directory.users, cloud: cloud.users, tenant: cloud.tenant,
                                         settings: settings, explaining: explaining)
            result.warnings.forEach(warnings.add)
            return result
        } catch {
            throw .usage(error.message(directory: directory.source.place, cloud: cloud.summary.source))
        }
    }

    /// `check` and `compare`: judge, then write the report (and record the run with `--history`).
    static func run(_ directory: Directory, cloud: CloudOptions.Loaded, comparison: ComparisonOptions,
                    warnings: Warnings, recorder: RunRecorder) throws(Failure) -> ExitStatus {
        let result = try judge(directory, cloud: cloud, comparison: comparison, warnings: warnings)
        let report = AuditReport(
            version: PHSCheck.version, generatedAt: Date(), directory: directory.source,
            cloud: .init(source: cloud.summary.source, format: cloud.summary.format.rawValue, users: cloud.users.count),
            result: result, warnings: warnings.all)
        return try recorder.emit(report)
    }
}
