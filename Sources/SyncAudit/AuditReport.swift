public import Foundation

/// Everything a report shows: the comparison's result and where its inputs came from
/// (docs/FORMATS.md "JSON report").
public struct AuditReport: Sendable, Hashable {
    public struct DirectorySource: Sendable, Hashable {
        /// The DC's URL, or `snapshot FILE (collected ... from ...)`.
        public var source: String
        public var baseDN: String?
        public var users: Int
        /// When the directory was read: the live read, or the snapshot's `collectedAt`.
        public var readAt: Date?
        /// Where the users were read, as messages name it: `SOURCE under BASE-DN`.
        public var place: String { source + (baseDN.map { " under \($0)" } ?? "") }
        public init(source: String, baseDN: String?, users: Int, readAt: Date? = nil) {
            self.source = source
            self.baseDN = baseDN
            self.users = users
            self.readAt = readAt
        }
    }

    public struct CloudSource: Sendable, Hashable {
        public var source: String
        public var format: String
        public var users: Int
        public init(source: String, format: String, users: Int) {
            self.source = source
            self.format = format
            self.users = users
        }
    }

    public var version: String
    public var generatedAt: Date
    public var directory: DirectorySource
    public var cloud: CloudSource
    public var result: AuditResult
    /// With history: findings of the previous run that are gone now.
    public var resolved: Int?
    /// With history: who those resolved findings were about, and the counts of recent runs.
    public var history: HistoryContext?
    /// Every warning of the run (the comparison's and those met while reading the two sides).
    public var warnings: [RunWarning]

    /// `warnings` defaults to the comparison's own.
    public init(version: String, generatedAt: Date, directory: DirectorySource, cloud: CloudSource,
                result: AuditResult, resolved: Int? = nil, warnings: [RunWarning]? = nil) {
        self.version = version
        self.generatedAt = generatedAt
        self.directory = directory
        self.cloud = cloud
        self.result = result
        self.resolved = resolved
        self.warnings = warnings ?? result.warnings
    }

    public var findings: [Finding] { result.findings }

    /// The findings of `severity` that no exception accepts.
    public func count(_ severity: Severity) -> Int {
        findings.reduce(0) { $0 + ($1.severity == severity && $1.accepted == nil ? 1 : 0) }
    }

    /// The findings an exception accepts (`--exceptions`).
    public var acceptedCount: Int { findings.reduce(0) { $0 + ($1.accepted == nil ? 0 : 1) } }

    /// Finding counts by code (accepted ones not counted), only codes that occur.
    public var countsByCode: [(code: FindingCode, count: Int)] {
        var counts: [FindingCode: Int] = [:]
        for finding in findings where finding.accepted == nil { counts[finding.code, default: 0] += 1 }
        return FindingCode.allCases.compactMap { code in counts[code].map { (code, $0) } }
    }

    /// The most severe finding no exception accepts, if any.
    public var worstSeverity: Severity? { findings.lazy.filter { $0.accepted == nil }.map(\.severity).max() }

    /// The most severe finding that no exception accepts and the previous recorded run did not
    /// have (`--fail-on new`); nil without history.
    public var worstNewSeverity: Severity? {
        findings.lazy.filter { $0.accepted == nil && $0.status == .new }.map(\.severity).max()
    }
}

/// What a run recorded in a history knows beyond its own findings (`--history`).
public struct HistoryContext: Sendable, Hashable {
    /// One finding of the previous run that this run no longer has.
    public struct ResolvedFinding: Sendable, Hashable {
        public var code: String
        public var samAccountName: String?
        public var userPrincipalName: String?
        public var distinguishedName: String?
        public var domain: String?
        /// When it was first recorded (nil for findings recorded before the history kept it).
        public var firstSeen: Date?
        public init(code: String, samAccountName: String?, userPrincipalName: String?,
                    distinguishedName: String?, domain: String?, firstSeen: Date?) {
            self.code = code
            self.samAccountName = samAccountName
            self.userPrincipalName = userPrincipalName
            self.distinguishedName = distinguishedName
            self.domain = domain
            self.firstSeen = firstSeen
        }
    }

    /// The counts of one successful recorded run, for the trend chart.
    public struct RunCounts: Sendable, Hashable {
        public var runId: Int64
        public var at: Date
        public var errors: Int
        public var warnings: Int
        public var infos: Int
        public var new: Int
        public init(runId: Int64, at: Date, errors: Int, warnings: Int, infos: Int, new: Int) {
            self.runId = runId
            self.at = at
            self.errors = errors
            self.warnings = warnings
            self.infos = infos
            self.new = new
        }
    }

    public var resolved: [ResolvedFinding]
    /// The last successful runs, oldest first, this one last.
    public var trend: [RunCounts]

    public init(resolved: [ResolvedFinding], trend: [RunCounts]) {
        self.resolved = resolved
        self.trend = trend
    }
}

/// The user findings of one parent container (the DN without its first RDN): findings that
/// cluster in one OU point at that OU's sync scope or policy rather than at single users.
public struct ContainerSummary: Sendable, Hashable {
    /// The container's DN as the directory wrote it.
    public var container: String
    public var errors: Int
    public var warnings: Int
    public var infos: Int
    public var total: Int { errors + warnings + infos }
    /// Counts by code, most frequent first (ties in catalogue order).
    public var codes: [(code: FindingCode, count: Int)]

    public static func == (a: Self, b: Self) -> Bool {
        a.container == b.container && a.errors == b.errors && a.warnings == b.warnings && a.infos == b.infos
            && a.codes.map(\.code) == b.codes.map(\.code) && a.codes.map(\.count) == b.codes.map(\.count)
    }
    public func hash(into hasher: inout Hasher) { hasher.combine(container) }
}

extension AuditReport {
    /// The user findings no exception accepts by parent container, most findings first (ties by container name);
    /// findings without a DN (cloud-only users without one) are not counted. Containers are
    /// compared ignoring case, as AD compares DNs, and named as first met.
    public var containers: [ContainerSummary] {
        var order: [String: Int] = [:]
        var summaries: [ContainerSummary] = []
        var codeCounts: [[FindingCode: Int]] = []
        for finding in findings where finding.scope == .user && finding.accepted == nil {
            guard let dn = finding.distinguishedName, let parent = DistinguishedNameText.parent(of: dn) else { continue }
            let key = parent.lowercased()
            let index: Int
            if let known = order[key] {
                index = known
            } else {
                index = summaries.count
                order[key] = index
                summaries.append(ContainerSummary(container: parent, errors: 0, warnings: 0, infos: 0, codes: []))
                codeCounts.append([:])
            }
            switch finding.severity {
            case .error: summaries[index].errors += 1
            case .warning: summaries[index].warnings += 1
            case .info: summaries[index].infos += 1
            }
            codeCounts[index][finding.code, default: 0] += 1
        }
        for index in summaries.indices {
            summaries[index].codes = FindingCode.allCases.compactMap { code in codeCounts[index][code].map { (code, $0) } }
                .enumerated().sorted { $0.element.count != $1.element.count ? $0.element.count > $1.element.count : $0.offset < $1.offset }
                .map(\.element)
        }
        return summaries.sorted {
            $0.total != $1.total ? $0.total > $1.total : $0.container.lowercased() < $1.container.lowercased()
        }
    }
}

/// DN text as SyncAudit needs it, without a parser: the parent is what follows the first comma
/// that no backslash escapes (RFC 4514: `\,` and `\\` inside an RDN value).
enum DistinguishedNameText {
    static func parent(of dn: String) -> String? {
        var escaped = false
        for index in dn.utf8.indices {
            let byte = dn.utf8[index]
            if escaped { escaped = false; continue }
            if byte == UInt8(ascii: "\\") { escaped = true; continue }
            if byte == UInt8(ascii: ",") {
                let rest = dn.utf8[dn.utf8.index(after: index)...]
                let parent = String(Substring(rest)).drop { $0 == " " }
                return parent.isEmpty ? nil : String(parent)
            }
        }
        return nil
    }
}
