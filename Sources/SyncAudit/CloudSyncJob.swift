public import Foundation

/// One synchronization job of a Microsoft Entra Cloud Sync agent configuration, as Graph
/// serves it under `/servicePrincipals/{id}/synchronization/jobs`.
///
/// Names follow Graph's `synchronizationJob`, `synchronizationSchedule`,
/// `synchronizationStatus`, `synchronizationQuarantine` and `synchronizationTaskExecution`
/// (https://learn.microsoft.com/graph/api/resources/synchronization-synchronizationjob and the
/// pages it links). A Cloud Sync configuration is a service principal made from application
/// template 1a4721b3-e57f-4451-ae87-ef078703ec94; its password hash sync job has `templateId`
/// `AD2AADPasswordHash`, its user and group job `AD2AADProvisioning`
/// (https://learn.microsoft.com/entra/identity/hybrid/cloud-sync/how-to-inbound-synch-ms-graph).
public struct CloudSyncJob: Sendable, Hashable {
    /// The service principal's `displayName`: Cloud Sync names it after the AD domain.
    public var configuration: String
    public var servicePrincipalId: String
    /// `AD2AADPasswordHash.<32 hex>`.
    public var id: String
    public var templateId: String
    /// `schedule.state`: `Active`, `Disabled` or `Paused`.
    public var scheduleState: String?
    /// `status.code`: `NotConfigured`, `NotRun`, `Active`, `Paused` or `Quarantine`.
    public var statusCode: String?
    /// `status.countSuccessiveCompleteFailures`.
    public var successiveFailures: Int?
    /// `status.quarantine.reason`, and since when (`currentBegan`), when quarantined.
    public var quarantineReason: String?
    public var quarantineSince: Date?
    /// `status.lastExecution`: its `state` (`Succeeded`, `Failed`, `EntryLevelErrors`), when it
    /// ended, and its error (`code: message`).
    public var lastExecutionState: String?
    public var lastExecutionEnded: Date?
    public var lastExecutionError: String?
    /// `status.lastSuccessfulExecution.timeEnded`.
    public var lastSuccessEnded: Date?

    /// The password hash sync job's template.
    public static let passwordHashTemplate = "AD2AADPasswordHash"
    /// The Cloud Sync application template the configurations are made from.
    public static let applicationTemplateId = "1a4721b3-e57f-4451-ae87-ef078703ec94"

    public init(configuration: String, servicePrincipalId: String, id: String, templateId: String,
                scheduleState: String? = nil, statusCode: String? = nil, successiveFailures: Int? = nil,
                quarantineReason: String? = nil, quarantineSince: Date? = nil, lastExecutionState: String? = nil,
                lastExecutionEnded: Date? = nil, lastExecutionError: String? = nil, lastSuccessEnded: Date? = nil) {
        self.configuration = configuration
        self.servicePrincipalId = servicePrincipalId
        self.id = id
        self.templateId = templateId
        self.scheduleState = scheduleState
        self.statusCode = statusCode
        self.successiveFailures = successiveFailures
        self.quarantineReason = quarantineReason
        self.quarantineSince = quarantineSince
        self.lastExecutionState = lastExecutionState
        self.lastExecutionEnded = lastExecutionEnded
        self.lastExecutionError = lastExecutionError
        self.lastSuccessEnded = lastSuccessEnded
    }

    /// The password hash sync job of a configuration.
    public var isPasswordHashSync: Bool { templateId.caseInsensitiveCompare(Self.passwordHashTemplate) == .orderedSame }
}
