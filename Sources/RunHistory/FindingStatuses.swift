public import Foundation
public import SyncAudit

/// new / persisting / resolved, by `Finding.identity`. Pure, so that `record` can apply it
/// inside its transaction and tests can check it without a database.
public enum FindingStatuses {
    /// What the previous run knew of one of its findings.
    public struct Prior: Sendable, Hashable {
        /// When the finding was first recorded; nil when the history does not know.
        public var firstSeen: Date?
        /// In how many runs in a row it was open up to the previous run; nil when unknown.
        public var runsOpen: Int?
        public init(firstSeen: Date?, runsOpen: Int?) {
            self.firstSeen = firstSeen
            self.runsOpen = runsOpen
        }
    }

    /// `report` with every finding's `status` set (`persisting` when `previous` holds its identity,
    /// else `new`), its `firstSeen` and `runsOpen` carried on from the previous run (a new
    /// finding: first seen `now`, open 1 run), and `resolved` set to the number of `previous`
    /// identities no finding has now. With no previous run every finding is new.
    public static func annotate(_ report: AuditReport, previous: [String: Prior], now: Date) -> AuditReport {
        var annotated = report
        var current = Set<String>()
        for index in annotated.result.findings.indices {
            let identity = annotated.result.findings[index].identity
            current.insert(identity)
            if let prior = previous[identity] {
                annotated.result.findings[index].status = .persisting
                annotated.result.findings[index].firstSeen = prior.firstSeen
                annotated.result.findings[index].runsOpen = prior.runsOpen.map { $0 + 1 }
            } else {
                annotated.result.findings[index].status = .new
                annotated.result.findings[index].firstSeen = now
                annotated.result.findings[index].runsOpen = 1
            }
        }
        annotated.resolved = previous.keys.reduce(0) { $0 + (current.contains($1) ? 0 : 1) }
        return annotated
    }

    /// The same, when only the previous run's identities are known.
    public static func annotate(_ report: AuditReport, previous: Set<String>, now: Date = Date()) -> AuditReport {
        annotate(report, previous: Dictionary(uniqueKeysWithValues: previous.map { ($0, Prior(firstSeen: nil, runsOpen: nil)) }), now: now)
    }
}
