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

    public func count(_ severity: Severity) -> Int {
        findings.reduce(0) { $0 + ($1.severity == severity ? 1 : 0) }
    }

    /// Finding counts by code, only codes that occur.
    public var countsByCode: [(code: FindingCode, count: Int)] {
        var counts: [FindingCode: Int] = [:]
        for finding in findings { counts[finding.code, default: 0] += 1 }
        return FindingCode.allCases.compactMap { code in counts[code].map { (code, $0) } }
    }

    /// The most severe finding, if any.
    public var worstSeverity: Severity? { findings.map(\.severity).max() }
}
