import CloudExport
import Foundation
import SyncAudit

/// `--verbose` on check and compare: what was detected and how long each stage took, on
/// standard error, so that an admin can see how phs-check read the inputs it was given.
final class Detection: @unchecked Sendable {
    private let enabled: Bool
    private let lock = NSLock()
    private var stages: [(name: String, seconds: Double)] = []

    init(global: GlobalOptions) { enabled = global.verbose }

    /// Runs `body` and notes its duration under `name`.
    func time<T, E: Error>(_ name: String, _ body: () throws(E) -> T) throws(E) -> T {
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            lock.withLock { stages.append((name, seconds)) }
        }
        return try body()
    }

    /// The lines `--verbose` prints once the comparison is made.
    func report(directory: Comparison.Directory, cloud: CloudOptions.Loaded, result: AuditResult) {
        guard enabled else { return }
        let summary = cloud.summary
        var lines: [String] = []
        for domain in directory.domains {
            let users = directory.users.reduce(0) { $0 + ($1.domain == domain.name ? 1 : 0) }
            lines.append(domain.wasRead
                ? "directory: \(domain.name) from \(domain.source)\(domain.namingContext.map { " under \($0)" } ?? ""): \(directory.domains.count == 1 ? directory.users.count : users) users"
                : "directory: \(domain.name) not read (\(domain.failure ?? "no reason given"))")
        }
        if directory.domains.isEmpty { lines.append("directory: \(directory.source.place): \(directory.users.count) users") }
        var cloudLine = "cloud: \(summary.source): \(summary.format.rawValue), \(summary.variant), \(summary.encoding), \(summary.users) users"
        if let dateFormat = summary.dateFormat { cloudLine += "; dates \(dateFormat)" }
        lines.append(cloudLine)
        let settings = result.settings
        lines.append("as of \(Timestamp.format(settings.asOf)) (\(settings.asOfSource.rawValue)); grace \(HumanDuration.format(settings.grace)), max skew \(HumanDuration.format(settings.maxSkew)); selective PHS \(settings.selectivePHS.rawValue)")
        let keys = MatchKey.allCases.compactMap { key in result.matchedByKey[key].map { "\($0) by \(key.rawValue)" } }
        lines.append("join: \(result.matched) of \(result.directoryUsers) directory users matched" + (keys.isEmpty ? "" : " (" + keys.joined(separator: ", ") + ")")
                     + "; \(result.inSync) in sync; \(result.findings.count) findings")
        let times = lock.withLock { stages }
        if !times.isEmpty {
            lines.append("time: " + times.map { "\($0.name) \(String(format: "%.2f", $0.seconds)) s" }.joined(separator: ", "))
        }
        for line in lines { PHSCheck.printError("phs-check: " + line) }
    }
}
