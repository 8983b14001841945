import CloudExport
import Foundation
import SyncAudit

/// The comparison `check` and `compare` share: judge, refuse an empty comparison, report (and
/// record the run with `--history`: see `RunRecorder`).
enum Comparison {
    static func run(directory users: [DirectoryUser], source: AuditReport.DirectorySource, cloud: CloudOptions.Loaded,
                    comparison: ComparisonOptions, global: GlobalOptions,
                    recorder: RunRecorder) throws(Failure) -> ExitStatus {
        for field in cloud.summary.missingKeyFields where field != .lastPasswordChangeDateTime {
            global.warn("no user in \(cloud.summary.source) has \(field.rawValue); export it too: \(CloudExportReader.recommendedCommand)")
        }
        let settings = try comparison.settings(cloud: cloud)
        let result = Audit.run(directory: users, cloud: cloud.users, tenant: cloud.tenant, settings: settings)
        try refuseEmpty(result, source: source, cloud: cloud)
        let report = AuditReport(
            version: PHSCheck.version, generatedAt: Date(), directory: source,
            cloud: .init(source: cloud.summary.source, format: cloud.summary.format.rawValue, users: cloud.users.count),
            result: result)
        return try recorder.emit(report)
    }

    /// An empty comparison is not a clean one: say what to check instead of "no findings".
    static func refuseEmpty(_ result: AuditResult, source: AuditReport.DirectorySource, cloud: CloudOptions.Loaded) throws(Failure) {
        if result.directoryUsers == 0 {
            throw .usage("no directory users in scope at \(source.source)\(source.baseDN.map { " under \($0)" } ?? ""): check --search-base and --filter; nothing was compared")
        }
        if result.cloudUsers == 0 {
            throw .usage("\(cloud.summary.source) holds no users: check the export file; nothing was compared")
        }
        if result.matched == 0 {
            throw .usage("none of the \(result.directoryUsers) directory users matched any of the \(result.cloudUsers) users in \(cloud.summary.source) by immutable ID, SID or UPN: is the export from the tenant this forest syncs to, and does --search-base cover the synced OUs? Nothing was compared")
        }
    }
}
