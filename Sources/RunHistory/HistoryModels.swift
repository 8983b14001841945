public import Foundation
public import SyncAudit

/// A failure to open, read or write a history database: one sentence naming the file.
public struct RunHistoryError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One recorded run, as `phs-check history` lists it.
public struct RunSummary: Sendable, Hashable {
    public var id: Int64
    public var startedAt: Date
    public var finishedAt: Date
    public var succeeded: Bool
    /// Why the run failed (`nil` for a run that succeeded).
    public var failure: String?
    public var toolVersion: String
    // Known for a run that succeeded; `nil` for a failed one.
    public var asOf: Date?
    public var asOfSource: String?
    public var directorySource: String?
    public var baseDN: String?
    public var cloudSource: String?
    public var cloudFormat: String?
    public var directoryUsers: Int?
    public var cloudUsers: Int?
    public var matched: Int?
    public var errors: Int?
    public var warnings: Int?
    public var infos: Int?
    /// The successful run this one was compared with (`nil`: the first successful run, or a failed run).
    public var previousRunId: Int64?
    /// Findings of `previousRunId` that are gone in this run (`nil` for a failed run).
    public var resolved: Int?
    /// Findings of this run that `previousRunId` did not have (every finding of a first run).
    public var newFindings: Int
    /// All findings of this run.
    public var findings: Int
}

/// One finding as stored: enough to say who and what without the original inputs.
public struct RecordedFinding: Sendable, Hashable {
    /// `Finding.identity`: the code plus the objectGUID, else the DN, else the cloud id.
    public var identity: String
    public var code: String
    public var severity: String
    public var status: FindingStatus
    public var samAccountName: String?
    public var userPrincipalName: String?
    public var distinguishedName: String?
    public var message: String
    /// The domain it was about (runs before several domains were read have none).
    public var domain: String?

    public init(identity: String, code: String, severity: String, status: FindingStatus, samAccountName: String?,
                userPrincipalName: String?, distinguishedName: String?, message: String, domain: String? = nil) {
        self.identity = identity
        self.code = code
        self.severity = severity
        self.status = status
        self.samAccountName = samAccountName
        self.userPrincipalName = userPrincipalName
        self.distinguishedName = distinguishedName
        self.message = message
        self.domain = domain
    }
}

/// What `record` wrote: the run's id, the run it was compared with, and the report with every
/// finding's `status` and the `resolved` count filled in.
public struct RecordedRun: Sendable {
    public var id: Int64
    public var previousRunId: Int64?
    public var report: AuditReport
    public var new: Int { report.findings.reduce(0) { $0 + ($1.status == .new ? 1 : 0) } }
    public var persisting: Int { report.findings.reduce(0) { $0 + ($1.status == .persisting ? 1 : 0) } }
    public var resolved: Int { report.resolved ?? 0 }
}

/// A run next to the successful run before it: what is new and what was resolved.
public struct RunDiff: Sendable {
    public var run: RunSummary
    /// The run compared with; `nil` for the first successful run and for a failed run.
    public var previous: RunSummary?
    public var new: [RecordedFinding]
    /// Findings of `previous` that are gone in `run` (as `previous` recorded them).
    public var resolved: [RecordedFinding]
    /// Findings of `run` that the run it was compared with had too (0 for a first or a failed run).
    public var persisting: Int { run.findings - run.newFindings }
}

/// One recorded probe (`phs-check probe --history`): its outcome and each stage's latency.
public struct ProbeRecord: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable {
        case arrived
        case notArrived = "not-arrived"
        /// Something kept any change from arriving: the password was not touched.
        case notChanged = "not-changed"
        /// The probe could not run (exit 2 or 3): `message` says why.
        case failed
    }
    public var id: Int64
    public var startedAt: Date
    public var finishedAt: Date
    public var toolVersion: String
    public var canary: String
    public var outcome: Outcome
    public var changedAt: Date?
    public var arrivedAt: Date?
    public var seenAt: Date?
    public var polls: Int?
    /// The stages' latencies (`ProbeStage`), nil when not reached.
    public var resetSeconds: Double?
    public var arrivalSeconds: Double?
    public var observedSeconds: Double?
    /// With `--prove-signin`: when the new password signed in, and how long after the change.
    public var signedInAt: Date?
    public var signinSeconds: Double?
    /// The probe's summary, or why it failed.
    public var message: String

    public init(id: Int64 = 0, startedAt: Date, finishedAt: Date, toolVersion: String, canary: String, outcome: Outcome,
                changedAt: Date? = nil, arrivedAt: Date? = nil, seenAt: Date? = nil, polls: Int? = nil,
                resetSeconds: Double? = nil, arrivalSeconds: Double? = nil, observedSeconds: Double? = nil,
                signedInAt: Date? = nil, signinSeconds: Double? = nil, message: String) {
        self.id = id
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.toolVersion = toolVersion
        self.canary = canary
        self.outcome = outcome
        self.changedAt = changedAt
        self.arrivedAt = arrivedAt
        self.seenAt = seenAt
        self.polls = polls
        self.resetSeconds = resetSeconds
        self.arrivalSeconds = arrivalSeconds
        self.observedSeconds = observedSeconds
        self.signedInAt = signedInAt
        self.signinSeconds = signinSeconds
        self.message = message
    }

    /// The record of a probe that ran (`Probe.stages` gives the latencies).
    public init(_ run: ProbeRun, arrived: Bool, finishedAt: Date, toolVersion: String) {
        let stages = Probe.latencies(run)
        self.init(startedAt: run.startedAt, finishedAt: finishedAt, toolVersion: toolVersion, canary: run.canary.samAccountName,
                  outcome: arrived ? .arrived : run.changed ? .notArrived : .notChanged, changedAt: run.changedAt, arrivedAt: run.arrivedAt, seenAt: run.seenAt,
                  polls: run.polls, resetSeconds: stages[.reset], arrivalSeconds: stages[.arrival],
                  observedSeconds: stages[.observed], signedInAt: run.signedInAt, signinSeconds: stages[.signin],
                  message: Probe.summary(run))
    }
}
