public import Foundation

/// Where `asOf` — the time the cloud export was taken — came from.
public enum AsOfSource: String, Sendable, Hashable, Codable {
    /// `--as-of`.
    case option
    /// A time the export itself carries.
    case export
    /// The newest timestamp found in the export.
    case inferred
}

/// The comparison's settings (DESIGN.md "Time").
public struct AuditSettings: Sendable, Hashable {
    public var asOf: Date
    public var asOfSource: AsOfSource
    /// How long after a change PHS may take before it is an error (default 1 h).
    public var grace: TimeInterval
    /// Clock difference tolerated between the DC and Entra (default 5 min).
    public var maxSkew: TimeInterval
    /// The tenant syncs temporary passwords (`--force-password-change-on-logon`, or the tenant's
    /// `userForcePasswordChangeOnLogonEnabled`).
    public var forcePasswordChangeOnLogon: Bool
    /// `Invoke-ADSyncDiagnostics -ADConnectorName`, when known; the messages use a placeholder otherwise.
    public var connectorName: String?

    public static let defaultGrace: TimeInterval = 3600
    public static let defaultMaxSkew: TimeInterval = 300
    /// The official troubleshooter warns when no PHS heartbeat was seen for 3 hours.
    public static let heartbeatLimit: TimeInterval = 3 * 3600
    /// `phs-stopped` needs at least this many not-synced users.
    public static let stoppedMinimumUsers = 3

    public init(asOf: Date, asOfSource: AsOfSource, grace: TimeInterval = defaultGrace,
                maxSkew: TimeInterval = defaultMaxSkew, forcePasswordChangeOnLogon: Bool = false,
                connectorName: String? = nil) {
        self.asOf = asOf
        self.asOfSource = asOfSource
        self.grace = grace
        self.maxSkew = maxSkew
        self.forcePasswordChangeOnLogon = forcePasswordChangeOnLogon
        self.connectorName = connectorName
    }
}

/// What a comparison found: every finding, and the counts the report's summary shows.
public struct AuditResult: Sendable, Hashable {
    public var findings: [Finding]
    public var directoryUsers: Int
    public var cloudUsers: Int
    public var matched: Int
    public var settings: AuditSettings
    /// Matched, enabled, in PHS scope, and in sync.
    public var inSync: Int
    /// Age of the oldest change that is `password-not-synced` (asOf − pwdLastSet), if any.
    public var oldestNotSyncedAge: TimeInterval? {
        findings.filter { $0.code == .passwordNotSynced }
            .compactMap { $0.directoryUser?.pwdLastSet.date.map { settings.asOf.timeIntervalSince($0) } }
            .max()
    }
}

/// The comparison itself. Pure: values in, findings out.
public enum Audit {
    public static func run(directory: [DirectoryUser], cloud: [CloudUser], tenant: TenantFacts? = nil,
                           settings: AuditSettings) -> AuditResult {
        let join = Join(directory: directory, cloud: cloud)
        var findings: [Finding] = []
        var matched = 0
        var inSync = 0
        var newestArrived: Date?
        let rules = Rules(settings: settings)

        for (index, outcome) in join.outcomes.enumerated() {
            let user = directory[index]
            switch outcome {
            case .unmatched:
                if let finding = rules.unmatched(user) { findings.append(finding) }
            case .ambiguous(let key, let cloudIndices, let rivals):
                findings.append(rules.ambiguous(user, key: key, cloud: cloudIndices.map { cloud[$0] },
                                                rivals: rivals.map { directory[$0] }))
            case .matched(let cloudIndex, let key):
                matched += 1
                let pair = rules.matched(user, cloud[cloudIndex], by: key)
                findings += pair.findings
                if pair.inSync {
                    inSync += 1
                    if let date = user.pwdLastSet.date, date > (newestArrived ?? .distantPast) { newestArrived = date }
                }
            }
        }
        for index in join.unmatchedCloudIndices {
            if let finding = rules.orphan(cloud[index]) { findings.append(finding) }
        }
        findings += rules.tenant(tenant, userFindings: findings, newestArrived: newestArrived)
        findings.sort(by: Self.reportOrder)
        return AuditResult(findings: findings, directoryUsers: directory.count, cloudUsers: cloud.count,
                           matched: matched, settings: settings, inSync: inSync)
    }

    /// Errors first, then warnings, then info; tenant findings before user findings; then by code and name.
    static func reportOrder(_ a: Finding, _ b: Finding) -> Bool {
        if a.severity != b.severity { return a.severity > b.severity }
        if a.scope != b.scope { return a.scope == .tenant }
        if a.code != b.code { return a.code.rawValue < b.code.rawValue }
        return a.sortName < b.sortName
    }

    /// `asOf` by DESIGN.md's order: the option, else a time the export carries, else the newest
    /// timestamp in the export. `nil` when none is known (an export with no times at all).
    public static func resolveAsOf(option: Date?, exportTime: Date?, newestInExport: Date?) -> (Date, AsOfSource)? {
        if let option { return (option, .option) }
        if let exportTime { return (exportTime, .export) }
        if let newestInExport { return (newestInExport, .inferred) }
        return nil
    }
}

extension Finding {
    var sortName: String {
        (directoryUser?.samAccountName ?? cloudUser?.userPrincipalName ?? cloudUser?.id ?? "").lowercased()
    }
}
