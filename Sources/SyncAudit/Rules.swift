import Foundation

/// The rules of DESIGN.md "Findings", one function per situation, each finding with a message
/// that says what is wrong and what to do next.
struct Rules {
    let settings: AuditSettings

    // MARK: A directory user matched to a cloud user

    func matched(_ user: DirectoryUser, _ cloud: CloudUser, by key: MatchKey) -> (findings: [Finding], inSync: Bool) {
        var findings: [Finding] = []
        func add(_ code: FindingCode, _ message: String) {
            findings.append(Finding(code: code, directoryUser: user, cloudUser: cloud, matchedBy: key, message: message))
        }
        if !cloud.onPremisesProvisioningErrors.isEmpty {
            add(.provisioningError, "Entra ID reports provisioning errors for \(cloud.displayName) (\(cloud.onPremisesProvisioningErrors.joined(separator: "; "))); fix the conflicting attribute on-premises, then let the next sync cycle clear it.")
        }
        if key == .sid || key == .upn, let anchor = cloud.onPremisesImmutableId, !anchor.isEmpty,
           anchor != user.objectGUID?.base64, anchor != user.consistencyGuid?.base64EncodedString() {
            add(.anchorMismatch, "\(user.samAccountName) matches \(cloud.displayName) by \(key == .sid ? "SID" : "UPN") only: the cloud account is anchored to \(anchor), which is neither this user's objectGUID (\(user.objectGUID?.base64 ?? "unknown")) nor its mS-DS-ConsistencyGuid, so the sync engine treats them as two objects and this user's password changes cannot reach it. Re-link the accounts (hard match: set onPremisesImmutableId, or clear the cloud anchor and let Entra Connect soft-match).")
            return (findings, false)
        }
        if let enabled = cloud.accountEnabled, enabled != user.isEnabled {
            add(.accountStateMismatch, user.isEnabled
                ? "\(user.samAccountName) is enabled on-premises but disabled in Entra ID; check whether the cloud account was blocked on purpose, else run a sync cycle."
                : "\(user.samAccountName) is disabled on-premises but still enabled in Entra ID (\(cloud.displayName)); its password no longer syncs (disabled users are out of PHS scope). Block sign-in in the cloud or check the AccountEnabled sync rule.")
        }
        if cloud.onPremisesSyncEnabled != true {
            add(.cloudSyncDisabled, "\(cloud.displayName) is \(cloud.onPremisesSyncEnabled == false ? "no longer" : "not") synchronized from on-premises (onPremisesSyncEnabled is \(cloud.onPremisesSyncEnabled.map(String.init) ?? "null")), so password hash sync cannot update it; re-enable sync for this user or manage its password in the cloud.")
            return (findings, false)
        }
        guard user.isEnabled else { return (findings, false) }
        if user.isExcludedFromPHS {
            add(.phsExcluded, "\(user.samAccountName) has adminDescription PHSFiltered: selective password hash sync excludes it, so its cloud password is managed separately. Clear adminDescription if it should sync.")
            return (findings, false)
        }
        let password = passwordFinding(user, cloud)
        if let (code, message) = password.finding { add(code, message) }
        return (findings, password.inSync)
    }

    private func passwordFinding(_ user: DirectoryUser, _ cloud: CloudUser) -> (finding: (FindingCode, String)?, inSync: Bool) {
        let onPrem: Date
        switch user.pwdLastSet {
        case .absent:
            return (nil, false)
        case .mustChange:
            if settings.forcePasswordChangeOnLogon { return (nil, false) }
            return ((.temporaryPassword, "\(user.samAccountName) must change the password at next logon (pwdLastSet is 0): that temporary password is not synced (FilteredByTarget), so the cloud keeps the old one. Have the user change it on-premises, or enable userForcePasswordChangeOnLogon (ForcePasswordChangeOnLogOn) and pass --force-password-change-on-logon."), false)
        case .set(let date, _):
            onPrem = date
        }
        if onPrem > settings.asOf {
            return ((.changedAfterExport, "\(user.samAccountName) changed the password at \(Timestamp.format(onPrem)), after the cloud export was taken (\(Timestamp.format(settings.asOf))); take a new export to check it."), false)
        }
        let cloudTime = cloud.lastPasswordChangeDateTime
        let behind = cloudTime.map { $0 < onPrem.addingTimeInterval(-settings.maxSkew) } ?? true
        guard behind else { return (nil, true) }
        let cloudText = cloudTime.map { "still has the one set at \(Timestamp.format($0))" } ?? "has no password change recorded"
        if let unicodePwd = user.unicodePwdLastChanged, let cloudTime,
           unicodePwd <= cloudTime.addingTimeInterval(settings.maxSkew) {
            return ((.passwordChangeUnconfirmed, "pwdLastSet of \(user.samAccountName) moved to \(Timestamp.format(onPrem)) but the password itself last changed at \(Timestamp.format(unicodePwd)) (replication metadata), before the cloud's \(Timestamp.format(cloudTime)): pwdLastSet was reset (0 then -1) without a new password, so nothing is missing in the cloud."), false)
        }
        let waited = settings.asOf.timeIntervalSince(onPrem)
        if waited > settings.grace {
            return ((.passwordNotSynced, "The password of \(user.samAccountName) changed on-premises at \(Timestamp.format(onPrem)), but Entra ID \(cloudText): after \(Self.duration(waited)) it has not arrived. On the Entra Connect server run: \(troubleshooter(user))"), false)
        }
        return ((.passwordSyncPending, "The password of \(user.samAccountName) changed \(Self.duration(waited)) before the export, within the \(Self.duration(settings.grace)) grace period; PHS usually lands within minutes. Check again later."), false)
    }

    // MARK: Unmatched and ambiguous users

    func unmatched(_ user: DirectoryUser) -> Finding? {
        guard user.isEnabled, !user.isExcludedFromPHS else { return nil }
        return Finding(code: .notInCloud, directoryUser: user, message: "\(user.samAccountName) is enabled and in scope but no cloud user matches it by immutable ID, SID or UPN; check that it is in the Entra Connect sync scope (OU and group filtering) and that the export covers all users, then run \(troubleshooter(user))")
    }

    func ambiguous(_ user: DirectoryUser, key: MatchKey, cloud: [CloudUser], rivals: [DirectoryUser]) -> Finding {
        let message: String
        if rivals.isEmpty {
            message = "\(user.samAccountName) matches \(cloud.count) cloud users by \(key.rawValue) (\(cloud.map(\.displayName).joined(separator: ", "))); phs-check will not pick one. Remove the duplicate cloud account or fix its \(key.rawValue)."
        } else {
            message = "\(user.samAccountName) and \(rivals.map(\.samAccountName).joined(separator: ", ")) all match \(cloud.first?.displayName ?? "one cloud user") by \(key.rawValue); phs-check will not pick one. Make the \(key.rawValue) unique on-premises."
        }
        return Finding(code: .ambiguousMatch, directoryUser: user, cloudUser: cloud.count == 1 ? cloud[0] : nil, matchedBy: key, message: message)
    }

    func orphan(_ cloud: CloudUser) -> Finding? {
        guard cloud.onPremisesSyncEnabled == true else { return nil }
        return Finding(code: .orphanedCloudUser, cloudUser: cloud, message: "\(cloud.displayName) is synced from on-premises but matches no directory user in scope\(cloud.onPremisesDistinguishedName.map { " (it came from \($0))" } ?? ""); the on-premises user was deleted or moved out of scope, or --search-base does not cover it.")
    }

    // MARK: Tenant

    func tenant(_ tenant: TenantFacts?, userFindings: [Finding], newestArrived: Date?) -> [Finding] {
        var findings: [Finding] = []
        if tenant?.passwordSyncEnabled == false {
            findings.append(Finding(code: .phsDisabled, message: "Password hash synchronization is turned off for the tenant (onPremisesSynchronization passwordSyncEnabled is false): no password reaches Entra ID. Turn it on in Entra Connect (Optional features, Password hash synchronization)."))
        }
        if let heartbeat = tenant?.lastPasswordSyncDateTime, settings.asOf.timeIntervalSince(heartbeat) > AuditSettings.heartbeatLimit {
            findings.append(Finding(code: .phsHeartbeatStale, message: "The last password sync heartbeat reached Entra ID at \(Timestamp.format(heartbeat)), \(Self.duration(settings.asOf.timeIntervalSince(heartbeat))) before the export; PHS sends one every 30 minutes. Check that the Entra Connect server and its ADSync service are running (event 654 in its Application log)."))
        }
        let notSynced = userFindings.filter { $0.code == .passwordNotSynced }
        let changes = notSynced.compactMap { $0.directoryUser?.pwdLastSet.date }
        if changes.count >= AuditSettings.stoppedMinimumUsers, let oldest = changes.min(), let newestArrived, oldest > newestArrived {
            findings.append(Finding(code: .phsStopped, message: "Password hash sync appears to have stopped between \(Timestamp.format(newestArrived)) (the newest change that arrived) and \(Timestamp.format(oldest)): none of the \(changes.count) password changes since then reached Entra ID. Check the Entra Connect server and restart a full password sync (Microsoft.Synchronize.ForceFullPasswordSync)."))
        }
        return findings
    }

    // MARK: Wording

    /// The official single-user troubleshooter for this user.
    func troubleshooter(_ user: DirectoryUser) -> String {
        let connector = settings.connectorName ?? Self.domainName(of: user.distinguishedName) ?? "<AD connector name>"
        return "Invoke-ADSyncDiagnostics -PasswordSync -ADConnectorName \"\(connector)\" -DistinguishedName \"\(user.distinguishedName)\""
    }

    /// `CN=a,OU=b,DC=corp,DC=example` → `corp.example`: the default AD connector name is the forest's.
    static func domainName(of dn: String) -> String? {
        let parts = dn.split(separator: ",").compactMap { part -> String? in
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard trimmed.lowercased().hasPrefix("dc=") else { return nil }
            return String(trimmed.dropFirst(3))
        }
        return parts.isEmpty ? nil : parts.joined(separator: ".")
    }

    static func duration(_ seconds: TimeInterval) -> String { HumanDuration.format(seconds) }
}

extension CloudUser {
    /// How a message names the cloud user: its UPN, else its id.
    var displayName: String { userPrincipalName ?? id ?? onPremisesImmutableId ?? "a cloud user" }
}
