public import Foundation

/// One user as Entra ID knows it, read from a cloud export (Graph, PowerShell, MSOnline).
///
/// Field names follow Microsoft Graph v1.0 `user`. A field the export did not carry is `nil`.
public struct CloudUser: Sendable, Hashable {
    public var id: String?
    public var userPrincipalName: String?
    public var accountEnabled: Bool?
    public var lastPasswordChangeDateTime: Date?
    /// When `lastPasswordChangeDateTime` was a local time in the hour the clocks went back (a
    /// CSV export's time repeats then): the later of its two readings; `lastPasswordChangeDateTime`
    /// holds the earlier. The rules judge the user with both (`password-time-ambiguous`).
    public var lastPasswordChangeLaterReading: Date?
    public var onPremisesImmutableId: String?
    /// `true` synced, `false` formerly synced, `nil` never synced (or not exported).
    public var onPremisesSyncEnabled: Bool?
    public var onPremisesLastSyncDateTime: Date?
    public var onPremisesSecurityIdentifier: String?
    public var onPremisesSamAccountName: String?
    public var onPremisesUserPrincipalName: String?
    public var onPremisesDistinguishedName: String?
    public var onPremisesDomainName: String?
    public var passwordPolicies: String?
    /// One short description per provisioning error (`category: propertyCausingError = value`).
    public var onPremisesProvisioningErrors: [String]

    public init(
        id: String? = nil,
        userPrincipalName: String? = nil,
        accountEnabled: Bool? = nil,
        lastPasswordChangeDateTime: Date? = nil,
        onPremisesImmutableId: String? = nil,
        onPremisesSyncEnabled: Bool? = nil,
        onPremisesLastSyncDateTime: Date? = nil,
        onPremisesSecurityIdentifier: String? = nil,
        onPremisesSamAccountName: String? = nil,
        onPremisesUserPrincipalName: String? = nil,
        onPremisesDistinguishedName: String? = nil,
        onPremisesDomainName: String? = nil,
        passwordPolicies: String? = nil,
        onPremisesProvisioningErrors: [String] = []
    ) {
        self.id = id
        self.userPrincipalName = userPrincipalName
        self.accountEnabled = accountEnabled
        self.lastPasswordChangeDateTime = lastPasswordChangeDateTime
        self.onPremisesImmutableId = onPremisesImmutableId
        self.onPremisesSyncEnabled = onPremisesSyncEnabled
        self.onPremisesLastSyncDateTime = onPremisesLastSyncDateTime
        self.onPremisesSecurityIdentifier = onPremisesSecurityIdentifier
        self.onPremisesSamAccountName = onPremisesSamAccountName
        self.onPremisesUserPrincipalName = onPremisesUserPrincipalName
        self.onPremisesDistinguishedName = onPremisesDistinguishedName
        self.onPremisesDomainName = onPremisesDomainName
        self.passwordPolicies = passwordPolicies
        self.onPremisesProvisioningErrors = onPremisesProvisioningErrors
    }
}

/// Tenant-wide facts from Graph `organization` and `directory/onPremisesSynchronization`.
public struct TenantFacts: Sendable, Hashable {
    /// `organization.onPremisesLastPasswordSyncDateTime`: the PHS heartbeat.
    public var lastPasswordSyncDateTime: Date?
    public var lastDirSyncDateTime: Date?
    public var onPremisesSyncEnabled: Bool?
    /// `onPremisesSynchronization.features.passwordSyncEnabled`.
    public var passwordSyncEnabled: Bool?
    /// `features.userForcePasswordChangeOnLogonEnabled`: temporary passwords are synced.
    public var userForcePasswordChangeOnLogonEnabled: Bool?
    /// Entra Cloud Sync's jobs (every configuration's, PHS or not); `nil` when they were not read.
    public var cloudSyncJobs: [CloudSyncJob]?

    public init(
        lastPasswordSyncDateTime: Date? = nil,
        lastDirSyncDateTime: Date? = nil,
        onPremisesSyncEnabled: Bool? = nil,
        passwordSyncEnabled: Bool? = nil,
        userForcePasswordChangeOnLogonEnabled: Bool? = nil,
        cloudSyncJobs: [CloudSyncJob]? = nil
    ) {
        self.lastPasswordSyncDateTime = lastPasswordSyncDateTime
        self.lastDirSyncDateTime = lastDirSyncDateTime
        self.onPremisesSyncEnabled = onPremisesSyncEnabled
        self.passwordSyncEnabled = passwordSyncEnabled
        self.userForcePasswordChangeOnLogonEnabled = userForcePasswordChangeOnLogonEnabled
        self.cloudSyncJobs = cloudSyncJobs
    }

    /// These facts with each one `other` knows put over them (a `--tenant` file over Graph's).
    public func merging(_ other: TenantFacts?) -> TenantFacts {
        guard let other else { return self }
        return TenantFacts(
            lastPasswordSyncDateTime: other.lastPasswordSyncDateTime ?? lastPasswordSyncDateTime,
            lastDirSyncDateTime: other.lastDirSyncDateTime ?? lastDirSyncDateTime,
            onPremisesSyncEnabled: other.onPremisesSyncEnabled ?? onPremisesSyncEnabled,
            passwordSyncEnabled: other.passwordSyncEnabled ?? passwordSyncEnabled,
            userForcePasswordChangeOnLogonEnabled: other.userForcePasswordChangeOnLogonEnabled ?? userForcePasswordChangeOnLogonEnabled,
            cloudSyncJobs: other.cloudSyncJobs ?? cloudSyncJobs)
    }
}
