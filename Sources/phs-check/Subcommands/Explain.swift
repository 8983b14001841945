import ActiveDirectory
import ArgumentParser
import Foundation
import Reports
import SyncAudit

enum ExplainFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain one user: every on-premises and cloud fact, each rule's verdict, and the next step.",
        discussion: """
            USER is a sAMAccountName, UPN, DN, objectGUID or SID. explain judges the whole scope as \
            check does (live from the DC, or offline from --snapshot FILE) and shows that user's rule \
            trace: its findings are exactly those check reports for it.

            Exit codes: 0 nothing wrong, 1 a finding at or above --fail-on, 2 unknown user or bad input, 3 directory or \
            Microsoft Graph unreachable, or the bind or the app's credential refused.
            """
    )

    @Argument(help: ArgumentHelp("sAMAccountName, userPrincipalName, distinguishedName, objectGUID or objectSid.", valueName: "user"))
    var user: String

    @OptionGroup(title: "Directory") var directory: DirectoryOptions
    @OptionGroup(title: "Several domains (the config file's domains:)") var domains: DomainOptions
    @OptionGroup(title: "Snapshot (offline, instead of the DC)") var snapshot: SnapshotOption
    @OptionGroup(title: "Cloud") var cloud: CloudOptions
    @OptionGroup(title: "Microsoft Graph (--cloud graph)") var graph: GraphOptions
    @OptionGroup(title: "Comparison") var comparison: ComparisonOptions

    @Option(name: .customLong("format"), help: "table or json.")
    var format: ExplainFormat = .table

    @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding is at least this severe: error, warning or never.")
    var failOn: FailOn = .error

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if !snapshot.paths.isEmpty, !directory.ldapURLs.isEmpty {
            throw ValidationError("--snapshot and --ldap-url are two sources of directory users: explain reads one; drop one")
        }
        if failOn == .new {
            throw ValidationError("--fail-on new needs a recorded previous run, which explain does not keep: use error, warning or never")
        }
    }

    func run() throws {
        let logger = global.makeLogger()
        let warnings = Warnings(global: global)
        let graphRead = try cloud.startGraph(graph, timeout: directory.timeoutSeconds, warnings: warnings, logger: logger)
        let file = graphRead == nil ? try cloud.load() : nil
        let side = snapshot.paths.isEmpty
            ? try Comparison.Directory.live(directory, domains: domains, global: global, warnings: warnings, logger: logger)
            : try Comparison.Directory.snapshots(snapshot.paths, limits: cloud.limits, allowPartial: domains.allowPartial)
        let loaded = try file ?? cloud.finish(graphRead!)
        let identity = UserIdentity(user)
        let found = side.users.indices.filter { identity.matches(side.users[$0]) }
        guard let index = found.first else {
            throw Failure.usage("no user \"\(user)\" among the \(side.users.count) users in scope at \(side.source.place): give a sAMAccountName, UPN, DN, objectGUID or SID, and check --search-base")
        }
        guard found.count == 1 else {
            throw Failure.usage("\"\(user)\" names \(found.count) users: \(found.map { side.users[$0].distinguishedName }.joined(separator: "; ")); give the DN or objectGUID instead")
        }
        let result = try Comparison.judge(side, cloud: loaded, comparison: comparison, warnings: warnings, explaining: [index])
        let explanation = Explanation(result, index: index, directory: side.users)
        let text = switch format {
        case .table: ExplanationReport.render(explanation, color: ReportOptions.colorOnStandardOutput)
        case .json: ExplanationReport.json(explanation, version: PHSCheck.version)
        }
        print(text, terminator: "")
        let status = failOn.status(worst: explanation.findings.map(\.severity).max())
        if status != .clean { throw ExitCode(status.rawValue) }
    }
}
