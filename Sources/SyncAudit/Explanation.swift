import Foundation
/// Everything phs-check concludes about one directory user, rule by rule (`explain USER`).
public struct Explanation: Sendable {
    public enum Verdict: Sendable, Hashable {
        case pass
        case finding(Finding)
        /// Not evaluated, because an earlier rule already decided (e.g. no cloud match).
        case notApplicable
    }

    public struct Rule: Sendable {
        public var name: String
        /// The facts the rule looked at, in a few words.
        public var facts: String
        public var verdict: Verdict
    }

    public var user: DirectoryUser
    /// The cloud user it matched, and by which key.
    public var cloudUser: CloudUser?
    public var matchedBy: MatchKey?
    public var rules: [Rule]
    /// Every finding about this user, plus the tenant's.
    public var findings: [Finding]

    /// The next step: the message of the most severe finding, or nil when all is well.
    public var nextStep: String? { findings.max { $0.severity < $1.severity }?.message }
}

extension Audit {
    /// Explains one directory user against the whole cloud export.
    public static func explain(_ user: DirectoryUser, cloud: [CloudUser], tenant: TenantFacts? = nil,
                               settings: AuditSettings) -> Explanation {
        let result = run(directory: [user], cloud: cloud, tenant: tenant, settings: settings)
        let findings = result.findings.filter { $0.scope == .tenant || $0.directoryUser == user }
        func verdict(_ codes: [FindingCode]) -> Explanation.Verdict {
            findings.first { codes.contains($0.code) }.map { .finding($0) } ?? .pass
        }
        var matched: (CloudUser, MatchKey)?
        var joinFacts = "no cloud user has this user's immutable ID (\(user.sourceAnchor ?? "none")), SID or UPN"
        switch Join(directory: [user], cloud: cloud).outcomes.first {
        case .matched(let index, let key)?:
            matched = (cloud[index], key)
            joinFacts = "matched \(cloud[index].displayName) by \(key.rawValue)"
        case .ambiguous(let key, let indices, _)?:
            joinFacts = "\(indices.count) cloud users share this \(key.rawValue): \(indices.map { cloud[$0].displayName }.joined(separator: ", "))"
        default:
            break
        }
        var rules = [Explanation.Rule(name: "Join", facts: joinFacts, verdict: verdict([.ambiguousMatch, .notInCloud]))]
        guard let (cloudUser, key) = matched else {
            for name in ["Provisioning", "Anchor", "Account state", "Cloud sync", "PHS scope", "Password"] {
                rules.append(.init(name: name, facts: "no cloud user to compare", verdict: .notApplicable))
            }
            return Explanation(user: user, rules: rules, findings: findings)
        }
        let errors = cloudUser.onPremisesProvisioningErrors
        rules.append(.init(name: "Provisioning", facts: errors.isEmpty ? "no provisioning errors" : errors.joined(separator: "; "),
                           verdict: verdict([.provisioningError])))
        rules.append(.init(name: "Anchor",
                           facts: "cloud onPremisesImmutableId \(cloudUser.onPremisesImmutableId ?? "null"); objectGUID \(user.objectGUID?.base64 ?? "none")\(user.consistencyGuid.map { ", mS-DS-ConsistencyGuid \($0.base64EncodedString())" } ?? "")",
                           verdict: key == .sid || key == .upn ? verdict([.anchorMismatch]) : .pass))
        rules.append(.init(name: "Account state",
                           facts: "\(user.isEnabled ? "enabled" : "disabled") on-premises, \(cloudUser.accountEnabled.map { $0 ? "enabled" : "disabled" } ?? "unknown") in Entra ID",
                           verdict: verdict([.accountStateMismatch])))
        rules.append(.init(name: "Cloud sync", facts: "onPremisesSyncEnabled \(cloudUser.onPremisesSyncEnabled.map(String.init) ?? "null")",
                           verdict: verdict([.cloudSyncDisabled])))
        let scope = !user.isEnabled ? "disabled: out of PHS scope" : user.isExcludedFromPHS ? "adminDescription PHSFiltered" : "enabled, not filtered"
        rules.append(.init(name: "PHS scope", facts: scope, verdict: verdict([.phsExcluded])))
        let onPrem: String = switch user.pwdLastSet {
        case .absent: "pwdLastSet never set"
        case .mustChange: "pwdLastSet 0 (must change at next logon)"
        case .set(let date, _): "pwdLastSet \(Timestamp.format(date))"
        }
        let passwordFacts = "\(onPrem)\(user.unicodePwdLastChanged.map { ", unicodePwd changed \(Timestamp.format($0))" } ?? ""); cloud lastPasswordChangeDateTime \(cloudUser.lastPasswordChangeDateTime.map(Timestamp.format) ?? "never"); as of \(Timestamp.format(settings.asOf))"
        let stopped = findings.contains { [.anchorMismatch, .cloudSyncDisabled, .phsExcluded].contains($0.code) } || !user.isEnabled
        rules.append(.init(name: "Password", facts: passwordFacts,
                           verdict: stopped ? .notApplicable : verdict([.passwordNotSynced, .passwordSyncPending, .changedAfterExport,
                                                                        .temporaryPassword, .passwordChangeUnconfirmed])))
        return Explanation(user: user, cloudUser: cloudUser, matchedBy: key, rules: rules, findings: findings)
    }
}
