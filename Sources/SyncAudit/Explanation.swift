import Foundation

/// `explain USER`: the comparison `check` makes, shown for one of its users — the rule trace
/// with its facts, the findings (exactly those `check` reports for the user, plus the tenant's)
/// and the run's warnings.
public struct Explanation: Sendable, Hashable {
    public var user: DirectoryUser
    /// The cloud user it matched, and by which key.
    public var cloudUser: CloudUser?
    public var matchedBy: MatchKey?
    public var steps: [RuleTrace.Step]
    /// This user's findings, then the tenant's.
    public var findings: [Finding]
    public var warnings: [RunWarning]
    public var settings: AuditSettings

    /// The next step: that of the most severe finding, or nil when all is well.
    public var nextStep: String? { findings.max { $0.severity < $1.severity }?.nextStep }
    /// The command of the most severe finding that has one.
    public var command: String? {
        findings.filter { $0.command != nil }.max { $0.severity < $1.severity }?.command
    }
}

extension Explanation {
    /// `directory[index]` as the comparison `result` judged it: `result` must have been made
    /// with `explaining` holding `index` (`Audit.judge` / `Audit.run`), so that the whole scope
    /// was judged — a cloud user claimed by another directory user is ambiguous here too, and
    /// the tenant's findings see every user.
    public init(_ result: AuditResult, index: Int, directory: [DirectoryUser]) {
        let trace = result.traces[index] ?? RuleTrace(steps: [])
        // The same exceptions as the run's: this user's findings accepted as in check's report.
        var findings = trace.findings
        _ = FindingException.apply(result.settings.exceptions, to: &findings, now: result.settings.directoryTime)
        self.init(user: directory[index], cloudUser: trace.cloudUser, matchedBy: trace.matchedBy, steps: trace.steps,
                  findings: findings + result.findings.filter { $0.scope == .tenant },
                  warnings: result.warnings, settings: result.settings)
    }
}
