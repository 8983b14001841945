public import Foundation


public enum Severity: String, Sendable, Hashable, CaseIterable, Comparable, Codable {
    case info, warning, error

    var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .error: 2
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

public enum FindingScope: String, Sendable, Hashable, Codable {
    /// About one user.
    case user
    /// About one domain of the run as a whole (`domain-unreachable`).
    case domain
    /// About the tenant.
    case tenant
}

/// Which join key matched a directory user to a cloud user (docs/FINDINGS.md "Joining").
public enum MatchKey: String, Sendable, Hashable, CaseIterable, Codable {
    /// `onPremisesImmutableId` == base64 of `objectGUID`.
    case immutableId
    /// `onPremisesImmutableId` == base64 of `mS-DS-ConsistencyGuid`.
    case consistencyGuid
    case sid
    case upn
}

/// Every finding code (docs/FINDINGS.md); severity, scope, meaning and next step are in the catalogue.
public enum FindingCode: String, Sendable, Hashable, CaseIterable, Codable {
    case passwordNotSynced = "password-not-synced"
    case passwordSyncPending = "password-sync-pending"
    case changedAfterExport = "changed-after-export"
    case temporaryPassword = "temporary-password"
    case notInCloud = "not-in-cloud"
    case cloudSyncDisabled = "cloud-sync-disabled"
    case orphanedCloudUser = "orphaned-cloud-user"
    case accountStateMismatch = "account-state-mismatch"
    case phsExcluded = "phs-excluded"
    case ambiguousMatch = "ambiguous-match"
    case anchorMismatch = "anchor-mismatch"
    case provisioningError = "provisioning-error"
    case passwordChangeUnconfirmed = "password-change-unconfirmed"
    case passwordTimeAmbiguous = "password-time-ambiguous"
    case cloudPasswordNewer = "cloud-password-newer"
    case expiredOnPremises = "expired-on-premises"
    case smartcardRequired = "smartcard-required"
    case phsUnsupportedObject = "phs-unsupported-object"
    case phsStopped = "phs-stopped"
    case phsHeartbeatStale = "phs-heartbeat-stale"
    case phsDisabled = "phs-disabled"
    case cloudSyncPHSQuarantined = "cloud-sync-phs-quarantined"
    case cloudSyncPHSPaused = "cloud-sync-phs-paused"
    case cloudSyncPHSFailing = "cloud-sync-phs-failing"
    case cloudSyncPHSStale = "cloud-sync-phs-stale"
    case domainUnreachable = "domain-unreachable"
}

/// Whether a finding was already there in the previous recorded run (`--history`).
public enum FindingStatus: String, Sendable, Hashable, Codable {
    case new, persisting
}

/// One thing an admin should know, with the facts it rests on and the next step.
public struct Finding: Sendable, Hashable {
    public var code: FindingCode
    public var severity: Severity { code.severity }
    public var scope: FindingScope { code.scope }
    /// The directory user this is about, if any.
    public var directoryUser: DirectoryUser?
    /// The cloud user this is about, if any.
    public var cloudUser: CloudUser?
    public var matchedBy: MatchKey?
    /// What happened to this user, with its facts. The meaning and the next step are the
    /// code's (`code.entry`).
    public var message: String
    /// The next step written out for this user, when there is one: a PowerShell command for the
    /// Entra Connect server, every value quoted by `PowerShell.quote`.
    public var command: String?
    public var status: FindingStatus?
    /// With history: when this finding was first recorded, and in how many recorded runs in a
    /// row (this one included) it has been open.
    public var firstSeen: Date?
    public var runsOpen: Int?
    /// Set when an exception in force covers this finding (`--exceptions`): it is shown as
    /// accepted and counts toward neither the severity counts nor `--fail-on`.
    public var accepted: Acceptance?
    /// What a tenant finding is about when the tenant has several of it (a Cloud Sync job:
    /// `cloud-sync:<service principal id>/<job id>`); part of `identity`.
    public var tenantSubject: String?
    /// The domain it is about: the directory user's, the domain an orphan came from, or the
    /// domain that could not be read; nil for tenant findings and runs that name no domains.
    public var domain: String?

    public init(code: FindingCode, directoryUser: DirectoryUser? = nil, cloudUser: CloudUser? = nil,
                matchedBy: MatchKey? = nil, message: String, command: String? = nil, status: FindingStatus? = nil,
                tenantSubject: String? = nil, domain: String? = nil) {
        self.code = code
        self.directoryUser = directoryUser
        self.cloudUser = cloudUser
        self.matchedBy = matchedBy
        self.message = message
        self.command = command
        self.status = status
        self.tenantSubject = tenantSubject
        self.domain = domain ?? directoryUser?.domain
    }

    /// What to do next, from the catalogue.
    public var nextStep: String { code.entry.nextStep }

    /// Who the finding is about, as reports name them: the directory's value, else the cloud's.
    public var samAccountName: String? { directoryUser?.samAccountName ?? cloudUser?.onPremisesSamAccountName }
    public var userPrincipalName: String? { directoryUser?.userPrincipalName ?? cloudUser?.userPrincipalName }
    public var distinguishedName: String? { directoryUser?.distinguishedName ?? cloudUser?.onPremisesDistinguishedName }

    /// A stable identity across runs: the code plus the anchor (objectGUID), else the DN, else
    /// the cloud id. Tenant findings are identified by their code and `tenantSubject`, domain
    /// findings by their domain.
    public var identity: String {
        let subject: String
        if scope == .domain {
            subject = "domain:" + (domain?.lowercased() ?? "?")
        } else if scope == .tenant {
            subject = "tenant" + (tenantSubject.map { ":" + $0 } ?? "")
        } else if let guid = directoryUser?.objectGUID {
            subject = "guid:" + guid.uuidString
        } else if let dn = directoryUser?.distinguishedName {
            subject = "dn:" + dn.lowercased()
        } else if let id = cloudUser?.id {
            subject = "cloud:" + id.lowercased()
        } else {
            subject = "cloud-upn:" + (cloudUser?.userPrincipalName?.lowercased() ?? "?")
        }
        return code.rawValue + "|" + subject
    }
}
