/// What each finding code means and what to do about it: the one place reports, `explain` and
/// the docs take a code's title, meaning and next step from (docs/FINDINGS.md).
///
/// A finding's own `message` says what happened to that user, with its facts; the catalogue
/// says what the code means for anyone and the next step; the finding's `command`, when there
/// is one, is the step written out for that user.
public struct CatalogueEntry: Sendable, Hashable {
    public var severity: Severity
    public var scope: FindingScope
    /// A few words for headings and legends.
    public var title: String
    /// One sentence: what the code means.
    public var meaning: String
    /// One or two sentences: what to do next.
    public var nextStep: String
}

extension FindingCode {
    /// This code's entry in the catalogue.
    public var entry: CatalogueEntry {
        switch self {
        case .passwordNotSynced:
            CatalogueEntry(
                severity: .error, scope: .user, title: "Password change not in Entra ID",
                meaning: "The password changed on-premises longer than --grace before the export, and Entra ID still holds an older one: password hash sync did not deliver it.",
                nextStep: "On the Entra Connect server, run the troubleshooter command shown for the user and check the Application log for events 611, 650, 651 and 654. If many users are affected, check the PHS heartbeat and start a full password sync.")
        case .passwordSyncPending:
            CatalogueEntry(
                severity: .info, scope: .user, title: "Password change on its way",
                meaning: "The password changed within --grace of the export; password hash sync usually delivers a change within minutes.",
                nextStep: "Nothing yet: check again after the grace period.")
        case .changedAfterExport:
            CatalogueEntry(
                severity: .info, scope: .user, title: "Changed after the export",
                meaning: "The password changed after the cloud export was taken, so the export cannot show it yet.",
                nextStep: "Take a new export (and give its time with --as-of) to check this change.")
        case .temporaryPassword:
            CatalogueEntry(
                severity: .warning, scope: .user, title: "Temporary password not synced",
                meaning: "pwdLastSet is 0 (the user must change the password at next logon): Entra Connect does not sync such a temporary password (FilteredByTarget) unless the tenant syncs temporary passwords, so the cloud keeps the old one.",
                nextStep: "Have the user change the password on-premises, or turn on ForcePasswordChangeOnLogOn (userForcePasswordChangeOnLogonEnabled) and pass --force-password-change-on-logon.")
        case .notInCloud:
            CatalogueEntry(
                severity: .error, scope: .user, title: "No cloud account",
                meaning: "An enabled user in password hash sync scope matches no cloud user by immutable ID, SID or UPN.",
                nextStep: "Check that the user is in Entra Connect's sync scope (OU and group filtering) and that the export covers every user, then run the troubleshooter command shown for the user.")
        case .cloudSyncDisabled:
            CatalogueEntry(
                severity: .warning, scope: .user, title: "Cloud account not synced",
                meaning: "The matched cloud account is not (or no longer) synchronized from on-premises (onPremisesSyncEnabled is not true), so password hash sync cannot update it.",
                nextStep: "Bring the user back into the sync scope so that Entra Connect matches the cloud account again, or manage this account's password in the cloud.")
        case .orphanedCloudUser:
            CatalogueEntry(
                severity: .warning, scope: .user, title: "Synced cloud account without an on-premises user",
                meaning: "A cloud account synchronized from on-premises matches no directory user in the scope that was read.",
                nextStep: "Check whether the on-premises user was deleted or moved out of the sync scope, or whether --search-base leaves it out.")
        case .accountStateMismatch:
            CatalogueEntry(
                severity: .warning, scope: .user, title: "Enabled on one side only",
                meaning: "The account is enabled on one side and disabled on the other. A user disabled on-premises is out of password hash sync scope, so its cloud password no longer follows.",
                nextStep: "Disabled on-premises: block sign-in in the cloud or check the AccountEnabled sync rule. Disabled in the cloud only: check whether it was blocked on purpose, else run a sync cycle.")
        case .phsExcluded:
            CatalogueEntry(
                severity: .info, scope: .user, title: "Excluded from password hash sync",
                meaning: "Selective password hash sync leaves the user out: adminDescription is PHSFiltered (exclude mode, the default), or is not PHSIncluded (--selective-phs include), so its cloud password is managed separately.",
                nextStep: "Nothing, if that is intended; otherwise clear PHSFiltered (exclude mode) or set adminDescription to PHSIncluded (include mode), and check --selective-phs names the mode the Entra Connect server's sync rules use.")
        case .ambiguousMatch:
            CatalogueEntry(
                severity: .error, scope: .user, title: "Ambiguous match",
                meaning: "A join key matches several users on one side; phs-check does not pick one, and the sync engine may not either.",
                nextStep: "Remove the duplicate cloud account, or make the key unique on-premises.")
        case .anchorMismatch:
            CatalogueEntry(
                severity: .error, scope: .user, title: "Linked to another anchor",
                meaning: "The user matches a cloud account by SID or UPN only, and that account's onPremisesImmutableId is neither the user's objectGUID nor its mS-DS-ConsistencyGuid: the sync engine sees two objects, so the user's password changes cannot reach that account.",
                nextStep: "Re-link the accounts: hard-match by setting onPremisesImmutableId to the user's anchor, or clear the cloud anchor and let Entra Connect soft-match.")
        case .provisioningError:
            CatalogueEntry(
                severity: .error, scope: .user, title: "Provisioning error",
                meaning: "Entra ID reports provisioning errors for the cloud account (for example a duplicate proxyAddresses or UPN value).",
                nextStep: "Fix the conflicting attribute on-premises; the next sync cycle clears the error.")
        case .passwordChangeUnconfirmed:
            CatalogueEntry(
                severity: .info, scope: .user, title: "pwdLastSet moved without a new password",
                meaning: "pwdLastSet is newer than the cloud's password change, but the replication metadata shows that the password itself did not change since: pwdLastSet was reset (0 then -1), so nothing is missing in the cloud.",
                nextStep: "Nothing to do.")
        case .phsStopped:
            CatalogueEntry(
                severity: .error, scope: .tenant, title: "Password hash sync appears to have stopped",
                meaning: "Several password changes are missing in Entra ID and every one of them is newer than the newest change that did arrive.",
                nextStep: "Check the Entra Connect server (the ADSync service, events 611 and 654) and start a full password sync (Microsoft.Synchronize.ForceFullPasswordSync).")
        case .phsHeartbeatStale:
            CatalogueEntry(
                severity: .error, scope: .tenant, title: "No recent PHS heartbeat",
                meaning: "The tenant's last password sync heartbeat is older than 3 hours; Entra Connect sends one every 30 minutes.",
                nextStep: "Check that the Entra Connect server and its ADSync service are running (event 654 in its Application log).")
        case .phsDisabled:
            CatalogueEntry(
                severity: .error, scope: .tenant, title: "Password hash sync is off",
                meaning: "The tenant's onPremisesSynchronization says passwordSyncEnabled is false: no password reaches Entra ID.",
                nextStep: "Turn it on in Entra Connect (Optional features, Password hash synchronization).")
        case .cloudSyncPHSQuarantined:
            CatalogueEntry(
                severity: .error, scope: .tenant, title: "Cloud Sync password hash sync quarantined",
                meaning: "Entra Cloud Sync put the configuration's password hash sync job (AD2AADPasswordHash) in quarantine: it stopped trying and no password reaches Entra ID until the cause is fixed.",
                nextStep: "In the Entra admin center, open Entra Connect, Cloud Sync, the configuration: read the quarantine reason and the provisioning logs, fix the cause, then restart the job (Restart sync).")
        case .cloudSyncPHSPaused:
            CatalogueEntry(
                severity: .error, scope: .tenant, title: "Cloud Sync password hash sync paused",
                meaning: "The configuration's password hash sync job is paused or disabled (its schedule or status says so): no password reaches Entra ID while it is.",
                nextStep: "If nobody paused it on purpose, enable the configuration again in the Entra admin center (Entra Connect, Cloud Sync).")
        case .cloudSyncPHSFailing:
            CatalogueEntry(
                severity: .error, scope: .tenant, title: "Cloud Sync password hash sync failing",
                meaning: "The configuration's password hash sync job failed completely on its latest runs (countSuccessiveCompleteFailures above 0).",
                nextStep: "Read the error shown and the provisioning logs of the configuration; check that the provisioning agents are running and can reach the domain controllers.")
        case .cloudSyncPHSStale:
            CatalogueEntry(
                severity: .error, scope: .tenant, title: "No recent Cloud Sync password hash sync",
                meaning: "The configuration's password hash sync job has not completed a successful run for longer than --max-cloud-sync-age (Cloud Sync runs every few minutes).",
                nextStep: "Check the provisioning agents (Microsoft Entra Provisioning Agent service) and the configuration's provisioning logs in the Entra admin center.")
        case .passwordTimeAmbiguous:
            CatalogueEntry(
                severity: .warning, scope: .user, title: "Cloud password time ambiguous",
                meaning: "The export wrote the cloud's lastPasswordChangeDateTime as a local time in the hour the clocks went back, so it names two instants, and the two give different verdicts: this user could not be judged.",
                nextStep: "Check this user in the next export, or export with exact UTC times (phs-check export-cloud, or Graph /users JSON) so that no time is read twice.")
        case .cloudPasswordNewer:
            CatalogueEntry(
                severity: .warning, scope: .user, title: "Cloud password newer than on-premises",
                meaning: "Entra ID's password changed later than the on-premises one, by more than --grace: it was most likely reset in the cloud without being written back (an admin reset in the Microsoft 365 admin center or with PowerShell is never written back; any cloud change is not, without password writeback), so the two passwords differ until the next on-premises change overwrites the cloud one.",
                nextStep: "Look up the user's password resets in the Entra audit log. If the cloud reset was meant to stand, set the same password on-premises; to keep the two in step, reset passwords where writeback carries them (the Entra admin center or Graph with password writeback on). A late or repeated sync of the same password (a full password sync) also shows here: then nothing is wrong.")
        case .expiredOnPremises:
            CatalogueEntry(
                severity: .warning, scope: .user, title: "Expired on-premises, active in the cloud",
                meaning: "The account expired on-premises (accountExpires is past), but accountExpires is not synced to Entra ID: with password hash sync the cloud account stays active and its password still signs in.",
                nextStep: "Disable the expired account on-premises (Microsoft recommends a scheduled script that disables accounts once they expire) so that the next sync blocks sign-in in the cloud; re-enable it when the expiry is removed.")
        case .smartcardRequired:
            CatalogueEntry(
                severity: .info, scope: .user, title: "Smart card required",
                meaning: "Smart card is required for interactive logon (SMARTCARD_REQUIRED): the DC gave the account a random password, and password hash sync sends that random hash to Entra ID. Entra Connect Sync before version 2.4.18.0 did not sync the new random hash when the requirement was turned off and on again (a lost card), so the temporary password could keep signing in to Entra ID.",
                nextStep: "Check that the sync server runs Microsoft Entra Connect Sync 2.4.18.0 or later (its version is in Programs and Features). If it ran an older one, upgrade it and start a full password sync, as Microsoft recommends for domains with smart-card-required users.")
        case .phsUnsupportedObject:
            CatalogueEntry(
                severity: .warning, scope: .user, title: "Object type without password sync",
                meaning: "The user is an inetOrgPerson object: Microsoft supports password hash sync only for objects of class user (Entra Connect Sync and Entra Cloud Sync alike), so its password may not reach Entra ID even when the account does.",
                nextStep: "Give the person a user object instead (AD cannot change an object's structural class: create a user and move the account's attributes and memberships), or manage this account's password in the cloud.")
        case .domainUnreachable:
            CatalogueEntry(
                severity: .error, scope: .domain, title: "Domain not read",
                meaning: "A domain of the run could not be read and --allow-partial went on without it: its users were not compared, and its cloud users were not judged as orphans. Nothing is known about its passwords.",
                nextStep: "Fix what the message names (the DC, the network, the bind) and run again; until then, check that domain's users by other means.")
        }
    }

    public var severity: Severity { entry.severity }
    public var scope: FindingScope { entry.scope }
}
