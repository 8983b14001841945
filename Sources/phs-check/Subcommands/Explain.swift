import ArgumentParser
import Foundation
import Reports
import SyncAudit

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain one user: every on-premises and cloud fact, each rule's verdict, and the next step.",
        discussion: "USER is a sAMAccountName, UPN, DN, objectGUID or SID. Exit codes: 0 nothing wrong, 1 a finding at or above --fail-on, 2 unknown user or bad input, 3 directory unreachable."
    )

    @Argument(help: ArgumentHelp("sAMAccountName, userPrincipalName, distinguishedName, objectGUID or objectSid.", valueName: "user"))
    var user: String

    @OptionGroup(title: "Directory") var directory: DirectoryOptions
    @OptionGroup(title: "Cloud") var cloud: CloudOptions
    @OptionGroup(title: "Comparison") var comparison: ComparisonOptions

    @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding is at least this severe: error, warning or never.")
    var failOn: FailOn = .error

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let logger = global.makeLogger()
        let loaded = try cloud.load()
        let session = try DirectorySession.open(directory, global: global, logger: logger)
        let found = try session.lookup(user)
        guard let one = found.first else {
            throw Failure.usage("no user \"\(user)\" in scope at \(session.server) under \(directory.searchBases.isEmpty ? session.baseDN : directory.searchBases.joined(separator: "; ")): give a sAMAccountName, UPN, DN, objectGUID or SID, and check --search-base")
        }
        guard found.count == 1 else {
            throw Failure.usage("\"\(user)\" names \(found.count) users: \(found.map(\.distinguishedName).joined(separator: "; ")); give the DN or objectGUID instead")
        }
        let settings = try comparison.settings(cloud: loaded)
        let explanation = Audit.explain(one, cloud: loaded.users, tenant: loaded.tenant, settings: settings)
        print(ExplanationReport.render(explanation, color: ReportOptions.colorOnStandardOutput), terminator: "")
        let status = failOn.status(worst: explanation.findings.map(\.severity).max())
        if status != .clean { throw ExitCode(status.rawValue) }
    }
}
