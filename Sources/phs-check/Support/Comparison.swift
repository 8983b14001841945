import CloudExport
import Foundation
import SyncAudit

/// The comparison `check`, `compare` and `explain` share: the settings, the judgement (refused
/// when it could only look cleaner than the truth), and the warnings for the report.
enum Comparison {
    /// The directory side as read: the users of every domain, and each domain.
    struct Directory {
        var users: [DirectoryUser]
        var domains: [DirectoryDomain]

        /// The whole directory side as the report's summary names it: the one domain's place,
        /// or all of them; read at the earliest domain's time (an export is judged against it).
        var source: AuditReport.DirectorySource {
            let read = domains.filter(\.wasRead)
            if read.count == 1, domains.count == 1, let domain = read.first {
                return .init(source: domain.source, baseDN: domain.namingContext, users: users.count, readAt: domain.readAt)
            }
            let names = domains.map { $0.name + ($0.wasRead ? "" : " (not read)") }.joined(separator: ", ")
            return .init(source: "\(domains.count) domains: \(names)", baseDN: nil, users: users.count,
                         readAt: read.compactMap(\.readAt).min())
        }
    }

    /// Judges both sides; `explaining` keeps those users' traces. Warnings are printed and kept
    /// in `warnings`.
    static func judge(_ directory: Directory, cloud: CloudOptions.Loaded, comparison: ComparisonOptions,
                      warnings: Warnings, explaining: Set<Int> = []) throws(Failure) -> AuditResult {
        cloud.summary.warnings.forEach(warnings.add)
        let settings = try comparison.settings(cloud: cloud, directoryReadAt: directory.source.readAt)
        do {
            let result = try Audit.judge(directory: directory.users, cloud: cloud.users, tenant: cloud.tenant,
                                         domains: directory.domains, settings: settings, explaining: explaining)
            result.warnings.forEach(warnings.add)
            return result
        } catch {
            throw .usage(error.message(directory: directory.source.place, cloud: cloud.summary.source))
        }
    }

    /// `check` and `compare`: judge, then write the report (and record the run with `--history`).
    static func run(_ directory: Directory, cloud: CloudOptions.Loaded, comparison: ComparisonOptions,
                    warnings: Warnings, recorder: RunRecorder, detection: Detection) throws(Failure) -> ExitStatus {
        let result = try detection.time("comparison") { () throws(Failure) in
            try judge(directory, cloud: cloud, comparison: comparison, warnings: warnings)
        }
        let report = AuditReport(
            version: PHSCheck.version, generatedAt: Date(), directory: directory.source,
            cloud: .init(source: cloud.summary.source, format: cloud.summary.format.rawValue, users: cloud.users.count),
            result: result, warnings: warnings.all)
        let status = try detection.time("reports") { () throws(Failure) in try recorder.emit(report) }
        detection.report(directory: directory, cloud: cloud, result: result)
        return status
    }
}
