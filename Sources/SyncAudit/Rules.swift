import Foundation

/// A directory user's place in the join, with the cloud users it involves.
enum Pairing {
    case matched(CloudUser, by: MatchKey)
    /// The first key that matched found several cloud users, or the one cloud user it found is
    /// claimed by other directory users (`rivals`) too.
    case ambiguous(by: MatchKey, cloud: [CloudUser], rivals: [DirectoryUser])
    case unmatched
}

/// The rules of docs/FINDINGS.md: one chain per directory user (`trace`), one rule for cloud
/// users nobody claimed (`orphan`), and the tenant's rules. Messages say what happened, with
/// the facts; the meaning and next step of each code are in the catalogue (`FindingCode.entry`).
struct Rules {
    let settings: AuditSettings
    /// Whether the export's `onPremisesSyncEnabled` can be believed: at least one cloud user has
    /// it true. An export that lacks the property (not selected, or MSOnline's `LastDirSyncTime`
    /// left empty) would otherwise make every user `cloud-sync-disabled` and hide the password.
    let syncStateKnown: Bool

    // MARK: The chain of one directory user

    /// The chain of `user`; when the matched cloud user's password time fell in the hour the
    /// clocks went back (two readings), the chain is run with each: when both give the same
    /// verdict it stands, else the step where they part says `password-time-ambiguous`, naming both.
    func judge(_ user: DirectoryUser, _ pairing: Pairing, withFacts: Bool) -> RuleTrace {
        let first = trace(user, pairing, withFacts: withFacts)
        guard case .matched(let cloud, let key) = pairing, let later = cloud.lastPasswordChangeLaterReading,
              let earlier = cloud.lastPasswordChangeDateTime
        else { return first }
        var other = cloud
        other.lastPasswordChangeDateTime = later
        let second = trace(user, .matched(other, by: key), withFacts: withFacts)
        func verdict(_ outcome: RuleTrace.Outcome) -> String {
            switch outcome {
            case .finding(let finding): finding.code.rawValue
            case .pass: "in sync"
            case .notReached: "not reached"
            }
        }
        guard let parting = first.steps.indices.first(where: { verdict(first.steps[$0].outcome) != verdict(second.steps[$0].outcome) })
        else { return first }
        var steps = first.steps
        let message = "The export gives \(user.samAccountName)'s cloud password time as a local time in the hour the clocks went back: "
            + "read as \(Timestamp.format(earlier)) the user is \(verdict(first.steps[parting].outcome)), read as \(Timestamp.format(later)) \(verdict(second.steps[parting].outcome)). "
            + "Only an export with exact times can tell."
        steps[parting].outcome = .finding(Finding(code: .passwordTimeAmbiguous, directoryUser: user, cloudUser: cloud, matchedBy: key, message: message))
        for index in steps.indices where index > parting { steps[index].outcome = .notReached }
        return RuleTrace(steps: steps, cloudUser: first.cloudUser, matchedBy: first.matchedBy)
    }

    func trace(_ user: DirectoryUser, _ pairing: Pairing, withFacts: Bool) -> RuleTrace {
        var t = TraceBuilder(withFacts: withFacts)
        let name = user.samAccountName
        var matchedCloud: CloudUser?
        var matchedBy: MatchKey?
        if case .matched(let cloud, let key) = pairing { (matchedCloud, matchedBy) = (cloud, key) }
        func finding(_ code: FindingCode, _ message: String, command: String? = nil,
                     cloud: CloudUser? = matchedCloud, by key: MatchKey? = matchedBy) -> RuleTrace.Outcome {
            .finding(Finding(code: code, directoryUser: user, cloudUser: cloud, matchedBy: key, message: message, command: command))
        }
        let excluded = settings.selectivePHS.excludes(adminDescription: user.adminDescription)
        let inScope = user.isEnabled && !excluded

        t.step(.phsScope, facts: Self.scopeFacts(user, settings.selectivePHS)) {
            // A disabled user is out of scope; account-state says what that means for the cloud.
            guard user.isEnabled else { return (.pass, false) }
            if excluded {
                let message = settings.selectivePHS == .include
                    ? "\(name) is not marked \(SelectivePHS.includedValue) (adminDescription \(user.adminDescription.map { "is \($0)" } ?? "is not set")): selective password hash sync in include mode leaves its password out."
                    : "\(name) has adminDescription \(SelectivePHS.filteredValue): selective password hash sync excludes it."
                return (finding(.phsExcluded, message), false)
            }
            // Still judged: whether its password arrived is the impact, this is the reason.
            guard user.isInetOrgPerson else { return (.pass, false) }
            return (finding(.phsUnsupportedObject, "\(name) is an inetOrgPerson object: password hash sync is supported only for user objects, so its password may not reach Entra ID."), false)
        }

        t.step(.join, facts: Self.joinFacts(user, pairing)) {
            switch pairing {
            case .matched:
                return (.pass, false)
            case .unmatched:
                guard inScope else { return (.pass, true) }
                return (finding(.notInCloud, "\(name) is enabled and in scope, but no cloud user matches it by immutable ID (\(user.sourceAnchor ?? "none")), SID or UPN.",
                                command: troubleshooter(user)), true)
            case .ambiguous(let key, let cloud, let rivals):
                let message = rivals.isEmpty
                    ? "\(name) matches \(cloud.count) cloud users by \(key.rawValue): \(cloud.map(\.displayName).joined(separator: ", "))."
                    : "\(name) and \(rivals.map(\.samAccountName).joined(separator: ", ")) all match \(cloud.first?.displayName ?? "one cloud user") by \(key.rawValue)."
                return (finding(.ambiguousMatch, message, cloud: cloud.count == 1 ? cloud[0] : nil, by: key), true)
            }
        }
        // Past the join only a matched pair goes on; the builder marks the rest not reached.
        let cloud = matchedCloud ?? CloudUser()
        let key = matchedBy ?? .immutableId

        t.step(.provisioning, facts: cloud.onPremisesProvisioningErrors.isEmpty ? "no provisioning errors" : cloud.onPremisesProvisioningErrors.joined(separator: "; ")) {
            guard !cloud.onPremisesProvisioningErrors.isEmpty else { return (.pass, false) }
            return (finding(.provisioningError, "Entra ID reports provisioning errors for \(cloud.displayName): \(cloud.onPremisesProvisioningErrors.joined(separator: "; "))."), false)
        }

        t.step(.anchor, facts: "matched by \(key.rawValue); cloud onPremisesImmutableId \(cloud.onPremisesImmutableId ?? "null"); objectGUID \(user.objectGUID?.base64 ?? "none")\(user.consistencyGuid.map { ", mS-DS-ConsistencyGuid \($0.base64EncodedString())" } ?? "")") {
            guard key == .sid || key == .upn, let anchor = cloud.onPremisesImmutableId, !anchor.isEmpty,
                  anchor != user.objectGUID?.base64, anchor != user.consistencyGuid?.base64EncodedString()
            else { return (.pass, false) }
            return (finding(.anchorMismatch, "\(name) matches \(cloud.displayName) by \(key == .sid ? "SID" : "UPN") only: the cloud account is anchored to \(anchor), which is neither this user's objectGUID (\(user.objectGUID?.base64 ?? "unknown")) nor its mS-DS-ConsistencyGuid."), true)
        }

        t.step(.accountState, facts: "\(user.isEnabled ? "enabled" : "disabled") on-premises, \(cloud.accountEnabled.map { $0 ? "enabled" : "disabled" } ?? "unknown") in Entra ID") {
            guard let enabled = cloud.accountEnabled, enabled != user.isEnabled else { return (.pass, false) }
            return (finding(.accountStateMismatch, user.isEnabled
                ? "\(name) is enabled on-premises but disabled in Entra ID (\(cloud.displayName))."
                : "\(name) is disabled on-premises but still enabled in Entra ID (\(cloud.displayName)); its password no longer syncs."), false)
        }

        t.step(.accountExpiry, facts: Self.expiryFacts(user, cloud, at: settings.directoryTime)) {
            guard user.isEnabled, let expires = user.accountExpires, expires <= settings.directoryTime,
                  cloud.accountEnabled != false
            else { return (.pass, false) }
            let cloudState = cloud.accountEnabled == true ? "is still enabled in Entra ID" : "is not known to be disabled in Entra ID (the export has no accountEnabled)"
            return (finding(.expiredOnPremises, "\(name) expired on-premises at \(Timestamp.format(expires)), but \(cloud.displayName) \(cloudState): accountExpires is not synced, so its password still signs in to the cloud."), false)
        }

        t.step(.cloudSync, facts: "onPremisesSyncEnabled \(cloud.onPremisesSyncEnabled.map(String.init) ?? "null")\(syncStateKnown ? "" : " (unknown for this export: no user has it true, so not judged)")") {
            guard syncStateKnown, cloud.onPremisesSyncEnabled != true else { return (.pass, false) }
            return (finding(.cloudSyncDisabled, "\(cloud.displayName) is \(cloud.onPremisesSyncEnabled == false ? "no longer" : "not") synchronized from on-premises (onPremisesSyncEnabled is \(cloud.onPremisesSyncEnabled.map(String.init) ?? "null"))."), true)
        }

        t.step(.smartCard, facts: user.userAccountControl.contains(.smartcardRequired) ? "SMARTCARD_REQUIRED set" : "SMARTCARD_REQUIRED not set") {
            guard inScope, user.userAccountControl.contains(.smartcardRequired) else { return (.pass, false) }
            return (finding(.smartcardRequired, "\(name) must log on with a smart card: its password is random. Entra Connect Sync before 2.4.18.0 did not sync a new random password when the requirement was turned on again, so check the version of the sync server."), false)
        }

        if !inScope {
            // Out of PHS scope (disabled, or left out by selective PHS): no password to expect.
            t.step(.password, facts: "out of PHS scope: no password expected") { (.notReached, true) }
        } else {
            t.step(.password, facts: Self.passwordFacts(user, cloud, settings)) {
                (password(user, cloud).map { finding($0.0, $0.1, command: $0.2) } ?? .pass, false)
            }
        }
        return t.trace(cloudUser: matchedCloud, matchedBy: matchedBy)
    }

    /// The password comparison for a matched user in PHS scope: a finding, or nil when the
    /// latest password change is in the cloud.
    private func password(_ user: DirectoryUser, _ cloud: CloudUser) -> (FindingCode, String, String?)? {
        let name = user.samAccountName
        let onPrem: Date
        switch user.pwdLastSet {
        case .absent:
            return nil
        case .mustChange:
            if settings.forcePasswordChangeOnLogon { return nil }
            return (.temporaryPassword, "\(name) must change the password at next logon (pwdLastSet is 0); that temporary password is not synced.", nil)
        case .set(let date, _):
            onPrem = date
        }
        if onPrem > settings.asOf {
            return (.changedAfterExport, "\(name) changed the password at \(Timestamp.format(onPrem)), after the cloud export was taken (\(Timestamp.format(settings.asOf))).", nil)
        }
        let cloudTime = cloud.lastPasswordChangeDateTime
        if let cloudTime, cloudTime > onPrem.addingTimeInterval(settings.grace) {
            return (.cloudPasswordNewer, "Entra ID's password of \(cloud.displayName) changed at \(Timestamp.format(cloudTime)), \(HumanDuration.format(cloudTime.timeIntervalSince(onPrem))) after the on-premises one (\(Timestamp.format(onPrem))): most likely a reset in the cloud that was not written back, so the two passwords differ until the next on-premises change overwrites it.", nil)
        }
        guard !(cloudTime.map { Self.isInCloud($0, changedAt: onPrem, maxSkew: settings.maxSkew) } ?? false) else { return nil }
        if let unicodePwd = user.unicodePwdLastChanged, let cloudTime,
           unicodePwd <= cloudTime.addingTimeInterval(settings.maxSkew) {
            return (.passwordChangeUnconfirmed, "pwdLastSet of \(name) moved to \(Timestamp.format(onPrem)) but the password itself last changed at \(Timestamp.format(unicodePwd)) (replication metadata), before the cloud's \(Timestamp.format(cloudTime)).", nil)
        }
        let waited = settings.asOf.timeIntervalSince(onPrem)
        if waited > settings.grace {
            let cloudText = cloudTime.map { "still has the one set at \(Timestamp.format($0))" } ?? "has no password change recorded"
            return (.passwordNotSynced, "The password of \(name) changed on-premises at \(Timestamp.format(onPrem)), but Entra ID \(cloudText): after \(HumanDuration.format(waited)) it has not arrived.", troubleshooter(user))
        }
        return (.passwordSyncPending, "The password of \(name) changed \(HumanDuration.format(waited)) before the export, within the \(HumanDuration.format(settings.grace)) grace period.", nil)
    }

    /// A password change at `changedAt` is in the cloud when the cloud's password time is not
    /// older than it by more than the clock skew allowed (docs/FINDINGS.md "Time").
    static func isInCloud(_ cloudTime: Date, changedAt: Date, maxSkew: TimeInterval) -> Bool {
        cloudTime >= changedAt.addingTimeInterval(-maxSkew)
    }

    // MARK: Facts, as explain shows them

    static func scopeFacts(_ user: DirectoryUser, _ mode: SelectivePHS) -> String {
        let state = user.isEnabled ? "enabled" : "disabled (out of PHS scope)"
        let selective = mode == .off ? "selective PHS off" : "selective PHS \(mode.rawValue) mode"
        return "\(state); adminDescription \(user.adminDescription ?? "not set") (\(selective)); object class \(user.structuralClass ?? "not recorded")"
    }

    static func expiryFacts(_ user: DirectoryUser, _ cloud: CloudUser, at now: Date) -> String {
        let expiry = user.accountExpires.map { "accountExpires \(Timestamp.format($0))\($0 <= now ? " (past)" : "")" } ?? "accountExpires never"
        return "\(expiry); \(cloud.accountEnabled.map { $0 ? "enabled" : "disabled" } ?? "unknown") in Entra ID"
    }

    static func joinFacts(_ user: DirectoryUser, _ pairing: Pairing) -> String {
        switch pairing {
        case .matched(let cloud, let key): "matched \(cloud.displayName) by \(key.rawValue)"
        case .ambiguous(let key, let cloud, let rivals):
            "\(cloud.count) cloud users (\(cloud.map(\.displayName).joined(separator: ", "))) by \(key.rawValue)\(rivals.isEmpty ? "" : ", also claimed by \(rivals.map(\.samAccountName).joined(separator: ", "))")"
        case .unmatched: "no cloud user has this user's immutable ID (\(user.sourceAnchor ?? "none")), SID or UPN"
        }
    }

    static func passwordFacts(_ user: DirectoryUser, _ cloud: CloudUser, _ settings: AuditSettings) -> String {
        let onPrem: String = switch user.pwdLastSet {
        case .absent: "pwdLastSet never set"
        case .mustChange: "pwdLastSet 0 (must change at next logon)"
        case .set(let date, _): "pwdLastSet \(Timestamp.format(date))"
        }
        return "\(onPrem)\(user.unicodePwdLastChanged.map { ", unicodePwd changed \(Timestamp.format($0))" } ?? ""); cloud lastPasswordChangeDateTime \(cloud.lastPasswordChangeDateTime.map(Timestamp.format) ?? "never"); as of \(Timestamp.format(settings.asOf)), grace \(HumanDuration.format(settings.grace)), max skew \(HumanDuration.format(settings.maxSkew))"
    }

    // MARK: Cloud users nobody claimed

    func orphan(_ cloud: CloudUser) -> Finding? {
        guard syncStateKnown, cloud.onPremisesSyncEnabled == true else { return nil }
        return Finding(code: .orphanedCloudUser, cloudUser: cloud, message: "\(cloud.displayName) is synced from on-premises but matches no directory user in scope\(cloud.onPremisesDistinguishedName.map { " (it came from \($0))" } ?? "").")
    }

    // MARK: Tenant

    func tenant(_ tenant: TenantFacts?, userFindings: [Finding], newestArrived: Date?) -> [Finding] {
        var findings: [Finding] = []
        if tenant?.passwordSyncEnabled == false {
            findings.append(Finding(code: .phsDisabled, message: "Password hash synchronization is turned off for the tenant (onPremisesSynchronization passwordSyncEnabled is false)."))
        }
        if let heartbeat = tenant?.lastPasswordSyncDateTime, settings.asOf.timeIntervalSince(heartbeat) > AuditSettings.heartbeatLimit {
            findings.append(Finding(code: .phsHeartbeatStale, message: "The last password sync heartbeat reached Entra ID at \(Timestamp.format(heartbeat)), \(HumanDuration.format(settings.asOf.timeIntervalSince(heartbeat))) before the export."))
        }
        for job in tenant?.cloudSyncJobs ?? [] where job.isPasswordHashSync {
            if let finding = cloudSync(job) { findings.append(finding) }
        }
        let changes = userFindings.compactMap { $0.code == .passwordNotSynced ? $0.directoryUser?.pwdLastSet.date : nil }
        if changes.count >= AuditSettings.stoppedMinimumUsers, let oldest = changes.min(), let newestArrived, oldest > newestArrived {
            findings.append(Finding(code: .phsStopped, message: "None of the \(changes.count) password changes since \(Timestamp.format(oldest)) reached Entra ID; the newest change that did arrive is from \(Timestamp.format(newestArrived)): password hash sync appears to have stopped between those two times."))
        }
        return findings
    }

    /// A Cloud Sync password hash sync job that cannot be delivering passwords: quarantined, else
    /// paused, else failing, else without a successful run for `maxCloudSyncAge`.
    func cloudSync(_ job: CloudSyncJob) -> Finding? {
        let subject = "cloud-sync:\(job.servicePrincipalId)/\(job.id)"
        let name = "The password hash sync job of the Cloud Sync configuration \(job.configuration) (\(job.id))"
        let lastError = job.lastExecutionError.map { "; the last run failed with \($0)" } ?? ""
        func status(_ value: String?, _ name: String) -> Bool { value?.caseInsensitiveCompare(name) == .orderedSame }
        if status(job.statusCode, "Quarantine") {
            let since = job.quarantineSince.map { " since \(Timestamp.format($0))" } ?? ""
            return Finding(code: .cloudSyncPHSQuarantined, message: "\(name) is in quarantine\(since) (reason: \(job.quarantineReason ?? "not given"))\(lastError).", tenantSubject: subject)
        }
        if status(job.scheduleState, "Paused") || status(job.scheduleState, "Disabled") || status(job.statusCode, "Paused") {
            return Finding(code: .cloudSyncPHSPaused, message: "\(name) is not running: its schedule is \(job.scheduleState ?? "unknown") and its status \(job.statusCode ?? "unknown").", tenantSubject: subject)
        }
        if let failures = job.successiveFailures, failures > 0 {
            return Finding(code: .cloudSyncPHSFailing, message: "\(name) failed \(failures) times in a row\(lastError).", tenantSubject: subject)
        }
        if let last = job.lastSuccessEnded {
            let age = settings.asOf.timeIntervalSince(last)
            guard age > settings.maxCloudSyncAge else { return nil }
            return Finding(code: .cloudSyncPHSStale, message: "\(name) last completed a successful run at \(Timestamp.format(last)), \(HumanDuration.format(age)) before the export, beyond --max-cloud-sync-age \(HumanDuration.format(settings.maxCloudSyncAge)).", tenantSubject: subject)
        }
        if !status(job.statusCode, "NotRun") && !status(job.statusCode, "NotConfigured") {
            return Finding(code: .cloudSyncPHSStale, message: "\(name) has no successful run on record (status \(job.statusCode ?? "unknown")).", tenantSubject: subject)
        }
        return nil
    }

    // MARK: Commands

    /// The official single-user troubleshooter for this user, quoted for PowerShell. The
    /// connector is `--connector-name`, else the user's domain's DNS name (the default AD
    /// connector name is the forest's).
    func troubleshooter(_ user: DirectoryUser) -> String {
        let connector = settings.connectorName ?? DomainNames.dnsName(ofDN: user.distinguishedName) ?? "<AD connector name>"
        return PowerShell.passwordSyncDiagnostics(connector: connector, distinguishedName: user.distinguishedName)
    }
}

extension CloudUser {
    /// How a message names the cloud user: its UPN, else its id.
    public var displayName: String { userPrincipalName ?? id ?? onPremisesImmutableId ?? "a cloud user" }
}
