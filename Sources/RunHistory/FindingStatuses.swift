public import SyncAudit

/// new / persisting / resolved, by `Finding.identity`. Pure, so that `record` can apply it
/// inside its transaction and tests can check it without a database.
public enum FindingStatuses {
    /// `report` with every finding's `status` set (`persisting` when `previous` holds its identity,
    /// else `new`) and `resolved` set to the number of `previous` identities no finding has now.
    /// With no previous run every finding is new and nothing is resolved.
    public static func annotate(_ report: AuditReport, previous: Set<String>) -> AuditReport {
        var annotated = report
        var current = Set<String>()
        for index in annotated.result.findings.indices {
            let identity = annotated.result.findings[index].identity
            current.insert(identity)
            annotated.result.findings[index].status = previous.contains(identity) ? .persisting : .new
        }
        annotated.resolved = previous.subtracting(current).count
        return annotated
    }
}
