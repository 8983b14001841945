/// The steps every directory user goes through, in this order (docs/FINDINGS.md "The rule
/// chain"). A step that decides the user's case stops the chain: the steps after it are
/// `notReached`.
public enum RuleStep: String, Sendable, Hashable, CaseIterable, Codable {
    /// Is the user in password hash sync scope (enabled, not left out by selective PHS), and an
    /// object PHS supports (not `inetOrgPerson`)? A property of the directory user alone, judged
    /// whether or not a cloud account matched.
    case phsScope = "phs-scope"
    /// Which cloud user, by which key; none or several end the chain.
    case join
    case provisioning
    /// Does the cloud account carry this user's anchor? If not, the chain ends.
    case anchor
    case accountState = "account-state"
    /// Has the account expired on-premises (`accountExpires`, which is not synced)?
    case accountExpiry = "account-expiry"
    /// Is the cloud account fed by sync at all? If not, the chain ends.
    case cloudSync = "cloud-sync"
    /// Is a smart card required for interactive logon (its password a random one)?
    case smartCard = "smart-card"
    case password

    /// How `explain` names the step.
    public var title: String {
        switch self {
        case .phsScope: "PHS scope"
        case .join: "Join"
        case .provisioning: "Provisioning"
        case .anchor: "Anchor"
        case .accountState: "Account state"
        case .accountExpiry: "Account expiry"
        case .cloudSync: "Cloud sync"
        case .smartCard: "Smart card"
        case .password: "Password"
        }
    }
}

/// What the rule chain concluded about one directory user, step by step. `check` and
/// `compare` take the findings from it; `explain` shows it whole.
public struct RuleTrace: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case finding(Finding)
        case pass
        /// An earlier step decided the case; this rule was not applied.
        case notReached
    }

    public struct Step: Sendable, Hashable {
        public var rule: RuleStep
        /// The facts the rule looked at, in a few words (empty unless the trace was asked for
        /// with its facts, as `explain` does).
        public var facts: String
        public var outcome: Outcome
    }

    public var steps: [Step]
    /// The cloud user the join matched, and by which key.
    public var cloudUser: CloudUser?
    public var matchedBy: MatchKey?

    /// The findings of the steps, in step order.
    public var findings: [Finding] {
        steps.compactMap { if case .finding(let finding) = $0.outcome { finding } else { nil } }
    }

    /// The password step passed: the user's latest password is in the cloud.
    public var inSync: Bool {
        steps.contains { $0.rule == .password && $0.outcome == .pass }
    }
}

/// Builds a trace step by step; facts are only formatted when they are wanted.
struct TraceBuilder {
    let withFacts: Bool
    private(set) var steps: [RuleTrace.Step] = []
    /// Set once a step has decided the case.
    private(set) var stopped = false

    init(withFacts: Bool) {
        self.withFacts = withFacts
        steps.reserveCapacity(RuleStep.allCases.count)
    }

    /// Records `rule`: `notReached` when an earlier step stopped the chain, else the outcome
    /// `decide` gives. A `stop` outcome ends the chain after this step.
    mutating func step(_ rule: RuleStep, facts: @autoclosure () -> String,
                       _ decide: () -> (outcome: RuleTrace.Outcome, stop: Bool)) {
        guard !stopped else {
            steps.append(.init(rule: rule, facts: "", outcome: .notReached))
            return
        }
        let (outcome, stop) = decide()
        steps.append(.init(rule: rule, facts: withFacts ? facts() : "", outcome: outcome))
        stopped = stop
    }

    func trace(cloudUser: CloudUser?, matchedBy: MatchKey?) -> RuleTrace {
        RuleTrace(steps: steps, cloudUser: cloudUser, matchedBy: matchedBy)
    }
}
