public import Foundation

/// Where `asOf` — the time the cloud export was taken — came from.
public enum AsOfSource: String, Sendable, Hashable, Codable {
    /// `--as-of`.
    case option
    /// When a Microsoft Graph read of the users began: `check --cloud graph`, or the header
    /// of an `export-cloud` file. Exact: every user was read at or after it.
    case graph
    /// The newest timestamp found in the export: a lower bound of the real time.
    case inferred

    /// The export's time is known, not guessed.
    public var isKnown: Bool { self != .inferred }
}

/// The comparison's settings (docs/FINDINGS.md "Time").
public struct AuditSettings: Sendable, Hashable {
    public var asOf: Date
    public var asOfSource: AsOfSource
    /// How long after a change PHS may take before it is an error (default 1 h).
    public var grace: TimeInterval
    /// Clock difference tolerated between the DC and Entra (default 5 min).
    public var maxSkew: TimeInterval
    /// The tenant syncs temporary passwords (`--force-password-change-on-logon`; the tenant's
    /// `userForcePasswordChangeOnLogonEnabled` turns it on too, see `Audit.run`).
    public var forcePasswordChangeOnLogon: Bool
    /// Entra Connect's selective password hash sync mode (`--selective-phs`, default exclude).
    public var selectivePHS: SelectivePHS = .exclude
    /// `Invoke-ADSyncDiagnostics -ADConnectorName`, when known; the commands use the domain's DNS
    /// name otherwise.
    public var connectorName: String?
    /// When the directory was read (the live read, or the snapshot's `collectedAt`).
    public var directoryReadAt: Date?
    /// An export whose known time is older than the directory read by more than this is refused
    /// (`--max-export-age`, default 24 h); an inferred time only warns.
    public var maxExportAge: TimeInterval
    /// A Cloud Sync password hash sync job without a successful run for longer than this is a
    /// finding (`--max-cloud-sync-age`, default 3 h, as the Entra Connect heartbeat).
    public var maxCloudSyncAge: TimeInterval
    /// Accepted findings (`--exceptions`), applied to the findings once they are made; an
    /// exception expires against the directory read's time (else `asOf`): the time of the data.
    public var exceptions: [FindingException] = []
    /// The time of the directory's state: its read, else `asOf`. Exceptions expire against it,
    /// and an account's `accountExpires` is judged at it.
    public var directoryTime: Date { directoryReadAt ?? asOf }

    public static let defaultGrace: TimeInterval = 3600
    public static let defaultMaxSkew: TimeInterval = 300
    public static let defaultMaxExportAge: TimeInterval = 86_400
    /// The official troubleshooter warns when no PHS heartbeat was seen for 3 hours.
    public static let heartbeatLimit: TimeInterval = 3 * 3600
    /// `phs-stopped` needs at least this many not-synced users.
    public static let stoppedMinimumUsers = 3
    /// With an inferred `asOf`, this many users changed after it make the time suspect.
    public static let inferredAsOfSuspectUsers = 3

    public init(asOf: Date, asOfSource: AsOfSource, grace: TimeInterval = defaultGrace,
                maxSkew: TimeInterval = defaultMaxSkew, forcePasswordChangeOnLogon: Bool = false,
                connectorName: String? = nil, directoryReadAt: Date? = nil,
                maxExportAge: TimeInterval = defaultMaxExportAge, maxCloudSyncAge: TimeInterval = heartbeatLimit) {
        self.asOf = asOf
        self.asOfSource = asOfSource
        self.grace = grace
        self.maxSkew = maxSkew
        self.forcePasswordChangeOnLogon = forcePasswordChangeOnLogon
        self.connectorName = connectorName
        self.directoryReadAt = directoryReadAt
        self.maxExportAge = maxExportAge
        self.maxCloudSyncAge = maxCloudSyncAge
    }

    /// How long a password change has waited for the cloud (asOf − pwdLastSet), for the findings
    /// about a change that has not arrived: `password-not-synced`, `password-sync-pending` and
    /// `password-change-unconfirmed`; nil for every other finding.
    public func waited(_ finding: Finding) -> TimeInterval? {
        switch finding.code {
        case .passwordNotSynced, .passwordSyncPending, .passwordChangeUnconfirmed:
            return finding.directoryUser?.pwdLastSet.date.map { asOf.timeIntervalSince($0) }
        default:
            return nil
        }
    }

    /// How much older the export is than the directory read; nil when the read time is unknown.
    public var exportAge: TimeInterval? { directoryReadAt.map { $0.timeIntervalSince(asOf) } }
}

/// What a comparison found: every finding, the counts the report's summary shows, and what
/// the report must warn about.
public struct AuditResult: Sendable, Hashable {
    public var findings: [Finding]
    public var directoryUsers: Int
    public var cloudUsers: Int
    public var matched: Int
    /// The settings the rules applied (with the tenant's facts merged in).
    public var settings: AuditSettings
    /// Matched, enabled, in PHS scope, and in sync.
    public var inSync: Int
    /// What makes this result less than certain; every report shows them.
    public var warnings: [RunWarning]
    /// The whole rule trace of each directory user asked for (`explaining`), by index.
    public var traces: [Int: RuleTrace] = [:]
    /// Per domain: each domain the run covers, in the order given, then each domain the cloud
    /// export names that the run did not cover; empty in a run that names no domains.
    public var domains: [DomainSummary] = []
    /// How many directory users the join matched by each key (`--verbose`).
    public var matchedByKey: [MatchKey: Int] = [:]
    /// Age of the oldest change that is `password-not-synced` (asOf − pwdLastSet), if any.
    public var oldestNotSyncedAge: TimeInterval? {
        findings.filter { $0.code == .passwordNotSynced && $0.accepted == nil }.compactMap(waited).max()
    }

    /// How long `finding`'s password change has waited (`AuditSettings.waited`).
    public func waited(_ finding: Finding) -> TimeInterval? { settings.waited(finding) }
}

/// Why a comparison was not made: its result could only look cleaner than the truth.
public enum AuditRefusal: Error, Sendable, Hashable {
    /// The export's known time is older than the directory read by more than `maxExportAge`.
    case exportTooOld(age: TimeInterval, settings: AuditSettings)
    case noDirectoryUsers
    case noCloudUsers
    /// Two of the run's domains are one domain (the same naming context): its users would be
    /// compared twice, each the other's rival.
    case sameDomainTwice(first: String, second: String, namingContext: String)
    case nothingMatched(directoryUsers: Int, cloudUsers: Int)

    /// The sentence an admin reads, naming the two sides as the report does.
    public func message(directory: String, cloud: String) -> String {
        switch self {
        case .exportTooOld(let age, let settings):
            let how = settings.asOfSource == .option ? "--as-of" : "the export"
            return "the cloud export \(cloud) was taken at \(Timestamp.format(settings.asOf)) (\(how)), \(HumanDuration.format(age)) before the directory was read: older than --max-export-age \(HumanDuration.format(settings.maxExportAge)). Password changes since then would read as not yet exported. Take a fresh export, or raise --max-export-age; nothing was compared"
        case .noDirectoryUsers:
            return "no directory users in scope at \(directory): check --search-base and --filter; nothing was compared"
        case .noCloudUsers:
            return "\(cloud) holds no users: check the export file; nothing was compared"
        case .sameDomainTwice(let first, let second, let namingContext):
            return "\(first) and \(second) are the same domain (\(namingContext)): read each domain once (one domains: entry, one snapshot); nothing was compared"
        case .nothingMatched(let directoryUsers, let cloudUsers):
            return "none of the \(directoryUsers) directory users matched any of the \(cloudUsers) users in \(cloud) by immutable ID, SID or UPN: is the export from the tenant this forest syncs to, and does --search-base cover the synced OUs? Nothing was compared"
        }
    }
}

/// What `Audit.run` keeps of one directory user's rule chain.
private struct Judged: Sendable {
    var findings: [Finding]
    var passwordStepPassed: Bool
}

/// `transform` of 0..<count in order, on every core when there is enough to share (at least
/// `perThread` each): the rules of one user depend on that user alone.
func concurrentMap<T: Sendable>(_ count: Int, perThread: Int = 20_000, _ transform: @Sendable (Int) -> T) -> [T] {
    let threads = min(ProcessInfo.processInfo.activeProcessorCount, count / perThread)
    guard threads > 1 else { return (0..<count).map(transform) }
    var chunks = [[T]](repeating: [], count: threads)
    chunks.withUnsafeMutableBufferPointer { buffer in
        // Each thread writes its own slot, and the slots are read after all have finished.
        nonisolated(unsafe) let slots = buffer
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            slots[t] = (count * t / threads..<count * (t + 1) / threads).map(transform)
        }
    }
    return chunks.flatMap { $0 }
}

/// The comparison itself. Pure: values in, findings out.
public enum Audit {
    /// The comparison `check`, `compare` and `explain` make: refused when its result could only
    /// look cleaner than the truth (an export known to be too old, nothing to compare),
    /// otherwise `run`.
    public static func judge(directory: [DirectoryUser], cloud: [CloudUser], tenant: TenantFacts? = nil,
                             domains: [DirectoryDomain] = [], settings: AuditSettings,
                             explaining: Set<Int> = []) throws(AuditRefusal) -> AuditResult {
        if settings.asOfSource.isKnown, let age = settings.exportAge, age > settings.maxExportAge {
            throw .exportTooOld(age: age, settings: settings)
        }
        var seen: [String: String] = [:]
        for domain in domains {
            guard let nc = domain.namingContext.flatMap(DomainNames.namingContext(ofDN:)) else { continue }
            if let first = seen[nc] { throw .sameDomainTwice(first: first, second: domain.name, namingContext: domain.namingContext ?? nc) }
            seen[nc] = domain.name
        }
        if directory.isEmpty { throw .noDirectoryUsers }
        if cloud.isEmpty { throw .noCloudUsers }
        let result = run(directory: directory, cloud: cloud, tenant: tenant, domains: domains, settings: settings, explaining: explaining)
        if result.matched == 0, !result.findings.contains(where: { $0.code == .ambiguousMatch }) {
            throw .nothingMatched(directoryUsers: directory.count, cloudUsers: cloud.count)
        }
        return result
    }

    /// Every rule over every user. `explaining` names the directory users whose whole trace,
    /// with its facts, is kept in the result (`explain`); the findings are the same either way.
    ///
    /// `domains` are the domains the run covers, each directory user naming its own
    /// (`DirectoryUser.domain`): cloud users are judged as orphans only against the domains
    /// that were read (docs/FINDINGS.md "Domains"). Without domains every unclaimed synced
    /// cloud user is judged.
    ///
    /// `syncStateKnown`: whether the cloud users' `onPremisesSyncEnabled` can be believed; nil
    /// infers it from the export (some user has it true, see `Rules.syncStateKnown`). A read that
    /// asked Graph for the property (the probe's) knows it even for one user.
    public static func run(directory: [DirectoryUser], cloud: [CloudUser], tenant: TenantFacts? = nil,
                           domains: [DirectoryDomain] = [], settings: AuditSettings,
                           explaining: Set<Int> = [], syncStateKnown: Bool? = nil) -> AuditResult {
        var settings = settings
        if tenant?.userForcePasswordChangeOnLogonEnabled == true { settings.forcePasswordChangeOnLogon = true }
        let rules = Rules(settings: settings, syncStateKnown: syncStateKnown ?? cloud.contains { $0.onPremisesSyncEnabled == true })
        var scope = DomainScope(domains)
        let join = Join(directory: directory, cloud: cloud)
        var findings: [Finding] = []
        var traces: [Int: RuleTrace] = [:]
        var matched = 0
        var matchedByKey: [MatchKey: Int] = [:]
        var inSync = 0
        var newestArrived: Date?

        let pairing = { @Sendable (index: Int) -> Pairing in
            switch join.outcomes[index] {
            case .unmatched: .unmatched
            case .ambiguous(let key, let cloudIndices, let rivals):
                .ambiguous(by: key, cloud: cloudIndices.map { cloud[$0] }, rivals: rivals.map { directory[$0] })
            case .matched(let cloudIndex, let key): .matched(cloud[cloudIndex], by: key)
            }
        }
        // Each user's chain depends on that user alone: the users are judged on every core,
        // then gathered in their order.
        let judged = concurrentMap(directory.count) { index -> Judged in
            let trace = rules.judge(directory[index], pairing(index), withFacts: false)
            return Judged(findings: trace.findings, passwordStepPassed: trace.inSync)
        }
        // Room for every finding at once: growing an array of a million findings would hold
        // it twice for a moment.
        findings.reserveCapacity(judged.reduce(0) { $0 + $1.findings.count } + join.unmatchedCloudIndices.count + domains.count + 8)
        for (index, user) in directory.enumerated() {
            let judgement = judged[index]
            var userMatched = false
            if case .matched(_, let key) = join.outcomes[index] { userMatched = true; matched += 1; matchedByKey[key, default: 0] += 1 }
            findings += judgement.findings
            // In sync: the password step passed for a password that was set (not absent, not 0).
            let userInSync = judgement.passwordStepPassed && user.pwdLastSet.date != nil
            if userInSync {
                inSync += 1
                if let date = user.pwdLastSet.date, date > (newestArrived ?? .distantPast) { newestArrived = date }
            }
            scope.tally(user, matched: userMatched, inSync: userInSync)
        }
        for index in explaining where directory.indices.contains(index) {
            traces[index] = rules.judge(directory[index], pairing(index), withFacts: true)
        }
        for index in join.unmatchedCloudIndices {
            guard case .judge(let domain) = scope.judges(cloud[index], syncStateKnown: rules.syncStateKnown) else { continue }
            if var finding = rules.orphan(cloud[index]) {
                finding.domain = domain
                findings.append(finding)
            }
        }
        findings += scope.unreachableFindings()
        findings += rules.tenant(tenant, userFindings: findings, newestArrived: newestArrived)
        Self.sortInReportOrder(&findings)
        let exceptionWarnings = FindingException.apply(settings.exceptions, to: &findings, now: settings.directoryTime)
        var result = AuditResult(findings: findings, directoryUsers: directory.count, cloudUsers: cloud.count,
                                 matched: matched, settings: settings, inSync: inSync, warnings: [], traces: traces,
                                 domains: scope.summaries(findings))
        result.warnings = warnings(result, syncStateKnown: rules.syncStateKnown) + scope.warnings() + exceptionWarnings
        result.matchedByKey = matchedByKey
        return result
    }

    /// What the report must say about its own certainty (docs/FINDINGS.md "Warnings").
    static func warnings(_ result: AuditResult, syncStateKnown: Bool) -> [RunWarning] {
        let settings = result.settings
        var warnings: [RunWarning] = []
        if !syncStateKnown, result.cloudUsers > 0 {
            warnings.append(RunWarning(.syncStateUnknown, "no cloud user in the export has onPremisesSyncEnabled true, so phs-check cannot tell synced accounts from cloud-only ones: cloud-sync-disabled and orphaned-cloud-user were not judged, the passwords were. Export onPremisesSyncEnabled (Get-MgUser -Property ...,OnPremisesSyncEnabled, or LastDirSyncTime for Get-MsolUser)."))
        }
        guard settings.asOfSource == .inferred else { return warnings }
        var reasons: [String] = []
        if let age = settings.exportAge, age > settings.grace {
            reasons.append("it is \(HumanDuration.format(age)) before the directory was read (\(settings.directoryReadAt.map(Timestamp.format) ?? "?"))")
        }
        let later = result.findings.reduce(0) { $0 + ($1.code == .changedAfterExport ? 1 : 0) }
        if later >= AuditSettings.inferredAsOfSuspectUsers {
            reasons.append("\(later) users changed their password after it")
        }
        if !reasons.isEmpty {
            warnings.append(RunWarning(.asOfInferred, "the export's time was not given, so asOf \(Timestamp.format(settings.asOf)) is the newest timestamp found in it, and \(reasons.joined(separator: ", and ")): a password change after that time reads as changed-after-export, not as a failure. Pass --as-of with the time the export was taken."))
        }
        if let age = settings.exportAge, age > settings.maxExportAge {
            warnings.append(RunWarning(.exportAge, "the newest timestamp in the export is \(HumanDuration.format(age)) older than the directory read, beyond --max-export-age \(HumanDuration.format(settings.maxExportAge)): the export may be stale (a quiet tenant's newest change can be days old). Check when it was taken and pass --as-of."))
        }
        return warnings
    }

    /// Errors first, then warnings, then info; tenant findings, then domain findings, then user
    /// findings; then by code and name. Each finding's sort key is made once, not once per
    /// comparison: a million orphans are sorted in seconds, not minutes.
    static func sortInReportOrder(_ findings: inout [Finding]) {
        struct Key: Comparable {
            var severity: Int
            var scope: Int
            var code: String
            var name: String
            var index: Int

            static func < (a: Key, b: Key) -> Bool {
                (a.severity, a.scope, a.code, a.name, a.index) < (b.severity, b.scope, b.code, b.name, b.index)
            }
        }
        let keys = findings.indices.map { i in
            let f = findings[i]
            return Key(severity: -f.severity.rank, scope: f.scope.reportRank, code: f.code.rawValue, name: f.sortName, index: i)
        }
        // The permutation is applied in place, cycle by cycle: a second array of a million
        // findings would double the peak.
        let order = keys.sorted().map(\.index)
        var placed = [Bool](repeating: false, count: order.count)
        for start in order.indices where !placed[start] {
            var i = start
            while order[i] != start {
                findings.swapAt(i, order[i])
                placed[i] = true
                i = order[i]
            }
            placed[i] = true
        }
    }

    /// `asOf` by the contract's order: the option, else when the Graph read began, else the
    /// newest timestamp in the export. `nil` when none is known (an export with no times at all).
    public static func resolveAsOf(option: Date?, exportTime: Date?, newestInExport: Date?) -> (Date, AsOfSource)? {
        if let option { return (option, .option) }
        if let exportTime { return (exportTime, .graph) }
        if let newestInExport { return (newestInExport, .inferred) }
        return nil
    }
}

extension Finding {
    var sortName: String {
        (directoryUser?.samAccountName ?? cloudUser?.userPrincipalName ?? cloudUser?.id ?? domain ?? "").lowercased()
    }
}

extension FindingScope {
    var reportRank: Int {
        switch self {
        case .tenant: 0
        case .domain: 1
        case .user: 2
        }
    }
}
