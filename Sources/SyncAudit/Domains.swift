public import Foundation

/// One Active Directory domain a run covers (docs/FINDINGS.md "Domains"): its users were read
/// from a DC of that domain (or a snapshot of it), or, with `--allow-partial`, it could not be.
public struct DirectoryDomain: Sendable, Hashable {
    /// How reports name it: the `name` of its `domains:` entry, else its DNS name.
    public var name: String
    /// Its naming context, `DC=corp,DC=example,DC=com`; nil when the DC was never reached.
    public var namingContext: String?
    /// The DC's URL, or `snapshot FILE (...)`; for a domain not read, the URLs tried.
    public var source: String
    /// When its users were read (the live read, or the snapshot's `collectedAt`).
    public var readAt: Date?
    /// Why it could not be read; nil when it was.
    public var failure: String?

    public init(name: String, namingContext: String?, source: String, readAt: Date? = nil, failure: String? = nil) {
        self.name = name
        self.namingContext = namingContext
        self.source = source
        self.readAt = readAt
        self.failure = failure
    }

    public var wasRead: Bool { failure == nil }

    /// The DNS name of the naming context (`DC=corp,DC=example` → `corp.example`).
    public var dnsName: String? { namingContext.flatMap(DomainNames.dnsName(ofDN:)) }
}

/// What a run found per domain: for each domain it covers, and for each domain the cloud
/// export names that the run did not cover (`notRead`).
public struct DomainSummary: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// Its users were read and compared.
        case read
        /// It was configured but could not be read (`--allow-partial`): a `domain-unreachable` finding.
        case unreachable
        /// Not configured: its cloud users are out of scope, never orphans.
        case notRead = "not-read"
    }

    public var name: String
    public var status: Status
    /// The domain as configured; nil for a domain the run does not cover.
    public var domain: DirectoryDomain?
    public var directoryUsers = 0
    public var matched = 0
    public var inSync = 0
    public var errors = 0
    public var warnings = 0
    public var infos = 0
    /// Synced cloud users of this domain that were not judged: the domain was not read
    /// (not configured, or unreachable), so they cannot be orphans.
    public var cloudUsersOutOfScope = 0

    public init(name: String, status: Status, domain: DirectoryDomain? = nil) {
        self.name = name
        self.status = status
        self.domain = domain
    }

    mutating func count(_ severity: Severity) {
        switch severity {
        case .error: errors += 1
        case .warning: warnings += 1
        case .info: infos += 1
        }
    }
}

/// Naming contexts and DNS names of domains, from DNs.
public enum DomainNames {
    /// The trailing `DC=` components of a DN, lower-cased without spaces
    /// (`CN=a,OU=b,DC=Corp, DC=Example` → `dc=corp,dc=example`); nil when it has none.
    /// Only the trailing run counts: `DC=` inside an escaped value earlier in the DN does not.
    public static func namingContext(ofDN dn: String) -> String? {
        var text = dn
        if let fast = text.withUTF8({ asciiNamingContext($0) }) { return fast }
        return generalNamingContext(ofDN: dn)
    }

    /// `namingContext(ofDN:)` for any text.
    static func generalNamingContext(ofDN dn: String) -> String? {
        let parts = dn.split(separator: ",", omittingEmptySubsequences: false)
        var suffix: [String] = []
        for part in parts.reversed() {
            let trimmed = trimmingSpaces(part)
            guard trimmed.count > 3, trimmed.prefix(3).lowercased() == "dc=" else { break }
            // A component whose comma was escaped (`x\,DC=y`) is not a component of its own.
            suffix.append("dc=" + trimmingSpaces(trimmed.dropFirst(3)).lowercased())
        }
        if suffix.isEmpty { return nil }
        // The component before the suffix must not end with an escaping backslash.
        let before = parts.count - suffix.count - 1
        if before >= 0, parts[before].hasSuffix("\\") { suffix.removeLast() }
        return suffix.isEmpty ? nil : suffix.reversed().joined(separator: ",")
    }

    /// `namingContext(ofDN:)` read from the end of a DN in plain ASCII (no CR, whose CRLF
    /// would be one character), without splitting it: once per cloud user of a large export.
    /// `.some(nil)`: it has no naming context; nil: not plain ASCII, for the general reader.
    private static func asciiNamingContext(_ u: UnsafeBufferPointer<UInt8>) -> String?? {
        for b in u where b >= 0x80 || b == 0x0D { return nil }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        var components: [(start: Int, end: Int)] = []  // the values after `DC=`, trimmed, last first
        var end = u.count
        var before: (start: Int, end: Int)?  // the component before the suffix
        while true {
            var start = end
            while start > 0, u[start - 1] != 0x2C { start -= 1 }
            var a = start, b = end
            while a < b, isSpace(u[a]) { a += 1 }
            while b > a, isSpace(u[b - 1]) { b -= 1 }
            guard b - a > 3, u[a] | 0x20 == 0x64, u[a + 1] | 0x20 == 0x63, u[a + 2] == 0x3D else {
                before = (start, end)
                break
            }
            var v = a + 3
            while v < b, isSpace(u[v]) { v += 1 }
            components.append((v, b))
            if start == 0 { break }
            end = start - 1
        }
        // A component whose comma was escaped (`x\,DC=y`) is not a component of its own.
        if let before, before.end > before.start, u[before.end - 1] == 0x5C, !components.isEmpty { components.removeLast() }
        if components.isEmpty { return .some(nil) }
        var out: [UInt8] = []
        for (n, c) in components.reversed().enumerated() {
            if n > 0 { out.append(0x2C) }
            out += [0x64, 0x63, 0x3D]
            for i in c.start..<c.end { let b = u[i]; out.append(b >= 0x41 && b <= 0x5A ? b | 0x20 : b) }
        }
        return .some(String(decoding: out, as: UTF8.self))
    }

    /// `text` without the spaces and tabs (`CharacterSet.whitespaces`) at either end; no copy.
    private static func trimmingSpaces(_ text: Substring) -> Substring {
        let spaces = CharacterSet.whitespaces
        var scalars = text.unicodeScalars[...]
        while let first = scalars.first, spaces.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, spaces.contains(last) { scalars.removeLast() }
        return Substring(scalars)
    }

    /// `CN=a,OU=b,DC=corp,DC=example` → `corp.example`.
    public static func dnsName(ofDN dn: String) -> String? {
        namingContext(ofDN: dn).map { nc in
            nc.split(separator: ",").map { String($0.dropFirst(3)) }.joined(separator: ".")
        }
    }
}

/// Which domain a cloud user came from, by its `onPremisesDistinguishedName`, else its
/// `onPremisesDomainName`.
struct DomainAttribution {
    enum Place: Equatable {
        /// One of the run's domains (its index).
        case domain(Int)
        /// A domain the run does not cover, by its DNS name.
        case elsewhere(String)
        /// The export does not say.
        case unknown
    }

    private var byNamingContext: [String: Int] = [:]
    private var byDNSName: [String: Int] = [:]

    init(_ domains: [DirectoryDomain]) {
        for (index, domain) in domains.enumerated() {
            if let nc = domain.namingContext.flatMap(DomainNames.namingContext(ofDN:)) { byNamingContext[nc] = index }
            if let dns = domain.dnsName { byDNSName[dns] = index }
        }
    }

    func place(of cloud: CloudUser) -> Place {
        if let dn = cloud.onPremisesDistinguishedName, let nc = DomainNames.namingContext(ofDN: dn) {
            if let index = byNamingContext[nc] { return .domain(index) }
            return .elsewhere(DomainNames.dnsName(ofDN: dn) ?? nc)
        }
        if let name = cloud.onPremisesDomainName?.trimmingCharacters(in: .whitespaces).lowercased(), !name.isEmpty {
            if let index = byDNSName[name] { return .domain(index) }
            return .elsewhere(name)
        }
        return .unknown
    }
}

/// The domains of one run while `Audit.run` goes through its users: what each domain counts,
/// and which unclaimed cloud users may be judged as orphans.
struct DomainScope {
    /// Whether an unclaimed cloud user is judged as an orphan, and in which domain.
    enum Judgement: Equatable {
        case judge(domain: String?)
        case outOfScope
    }

    private let domains: [DirectoryDomain]
    private let attribution: DomainAttribution
    private var index: [String: Int] = [:]
    private var summaries: [DomainSummary]
    /// Cloud users of domains the run does not cover, by DNS name.
    private var notRead: [String: Int] = [:]
    /// Synced cloud users that name no domain, not judged because a domain was not read.
    private var unattributed = 0

    init(_ domains: [DirectoryDomain]) {
        self.domains = domains
        attribution = DomainAttribution(domains)
        summaries = domains.map { DomainSummary(name: $0.name, status: $0.wasRead ? .read : .unreachable, domain: $0) }
        for (i, domain) in domains.enumerated() where index[domain.name] == nil { index[domain.name] = i }
    }

    mutating func tally(_ user: DirectoryUser, matched: Bool, inSync: Bool) {
        guard let name = user.domain, let i = index[name] else { return }
        summaries[i].directoryUsers += 1
        if matched { summaries[i].matched += 1 }
        if inSync { summaries[i].inSync += 1 }
    }

    /// An unclaimed cloud user is judged against the domain it came from when that domain was
    /// read; a user of a domain not read (not configured, or unreachable) is counted out of
    /// scope instead. One that names no domain is judged only when every domain was read.
    mutating func judges(_ cloud: CloudUser, syncStateKnown: Bool) -> Judgement {
        guard !domains.isEmpty else { return .judge(domain: nil) }
        // Counted only when it would have been judged: synced (or the export cannot say).
        let synced = syncStateKnown ? cloud.onPremisesSyncEnabled == true : true
        switch attribution.place(of: cloud) {
        case .domain(let i):
            if domains[i].wasRead { return .judge(domain: domains[i].name) }
            if synced { summaries[i].cloudUsersOutOfScope += 1 }
        case .elsewhere(let name):
            if synced { notRead[name, default: 0] += 1 }
        case .unknown:
            if domains.allSatisfy(\.wasRead) { return .judge(domain: nil) }
            if cloud.onPremisesSyncEnabled == true { unattributed += 1 }
        }
        return .outOfScope
    }

    /// One `domain-unreachable` finding per domain that could not be read.
    func unreachableFindings() -> [Finding] {
        zip(domains, summaries).compactMap { domain, summary in
            guard let failure = domain.failure else { return nil }
            let cloud = summary.cloudUsersOutOfScope
            let judged = domain.namingContext == nil
                ? "its naming context is not known (no base-dn in its entry), so its cloud users are counted under their own domain's name, and none is judged"
                : "its \(cloud) synced cloud \(cloud == 1 ? "user was" : "users were") not judged"
            return Finding(code: .domainUnreachable, message: "The domain \(domain.name) was not read (\(failure)): none of its users were compared, and \(judged).", domain: domain.name)
        }
    }

    /// The summaries with each domain's findings counted: the run's domains in their order,
    /// then the domains not read by name.
    func summaries(_ findings: [Finding]) -> [DomainSummary] {
        guard !domains.isEmpty else { return [] }
        var result = summaries
        for finding in findings where finding.accepted == nil {
            if let name = finding.domain, let i = index[name] { result[i].count(finding.severity) }
        }
        for (name, users) in notRead.sorted(by: { $0.key < $1.key }) {
            var summary = DomainSummary(name: name, status: .notRead)
            summary.cloudUsersOutOfScope = users
            result.append(summary)
        }
        return result
    }

    func warnings() -> [RunWarning] {
        guard unattributed > 0 else { return [] }
        let missing = domains.filter { !$0.wasRead }.map(\.name).joined(separator: ", ")
        return [RunWarning(.cloudDomainUnknown, "\(unattributed) synced cloud \(unattributed == 1 ? "user names" : "users name") no domain (the export has neither onPremisesDistinguishedName nor onPremisesDomainName) and \(missing) was not read: they were not judged as orphans. Export those two properties.")]
    }
}
