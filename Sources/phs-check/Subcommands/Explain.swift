import ArgumentParser
import Foundation
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
        print(Self.render(explanation, color: ReportOptions.colorOnStandardOutput), terminator: "")
        let status = failOn.status(worst: explanation.findings.map(\.severity).max())
        if status != .clean { throw ExitCode(status.rawValue) }
    }

    static func render(_ e: Explanation, color: Bool) -> String {
        func bold(_ s: String) -> String { color ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
        let u = e.user
        var out = bold(u.samAccountName) + "  \(u.distinguishedName)\n\n"
        out += "On-premises\n"
        let onPrem: [(String, String)] = [
            ("userPrincipalName", u.userPrincipalName ?? "-"),
            ("objectGUID", u.objectGUID.map { "\($0.uuidString) (\($0.base64))" } ?? "-"),
            ("mS-DS-ConsistencyGuid", u.consistencyGuid?.base64EncodedString() ?? "-"),
            ("objectSid", u.objectSid ?? "-"),
            ("enabled", u.isEnabled ? "yes" : "no (\(u.userAccountControl.names.joined(separator: ", ")))"),
            ("pwdLastSet", { switch u.pwdLastSet {
                case .absent: "never set"
                case .mustChange: "0 (must change at next logon)"
                case .set(let d, let raw): "\(Timestamp.format(d)) (\(raw))"
            } }()),
            ("unicodePwd changed", u.unicodePwdLastChanged.map(Timestamp.format) ?? "-"),
            ("adminDescription", u.adminDescription ?? "-"),
        ]
        for (k, v) in onPrem { out += "  " + k.padding(toLength: 24, withPad: " ", startingAt: 0) + v + "\n" }
        out += "\nCloud\n"
        if let c = e.cloudUser {
            let cloud: [(String, String)] = [
                ("id", c.id ?? "-"), ("userPrincipalName", c.userPrincipalName ?? "-"),
                ("accountEnabled", c.accountEnabled.map(String.init) ?? "-"),
                ("lastPasswordChange", c.lastPasswordChangeDateTime.map(Timestamp.format) ?? "-"),
                ("onPremisesImmutableId", c.onPremisesImmutableId ?? "-"),
                ("onPremisesSyncEnabled", c.onPremisesSyncEnabled.map(String.init) ?? "null"),
                ("onPremisesLastSync", c.onPremisesLastSyncDateTime.map(Timestamp.format) ?? "-"),
                ("matched by", e.matchedBy?.rawValue ?? "-"),
            ]
            for (k, v) in cloud { out += "  " + k.padding(toLength: 24, withPad: " ", startingAt: 0) + v + "\n" }
        } else {
            out += "  no matching cloud user\n"
        }
        out += "\nRules\n"
        for rule in e.rules {
            let mark: String = switch rule.verdict {
            case .pass: "ok  "
            case .notApplicable: "--  "
            case .finding(let f): f.severity == .error ? "FAIL" : f.severity == .warning ? "WARN" : "INFO"
            }
            out += "  \(mark)  " + rule.name.padding(toLength: 14, withPad: " ", startingAt: 0) + rule.facts
            if case .finding(let f) = rule.verdict { out += "  → \(f.code.rawValue)" }
            out += "\n"
        }
        for tenant in e.findings where tenant.scope == .tenant {
            out += "  FAIL  " + "Tenant".padding(toLength: 14, withPad: " ", startingAt: 0) + "\(tenant.code.rawValue): \(tenant.message)\n"
        }
        out += "\nNext step\n  " + (e.nextStep ?? "Nothing to do: this user's latest password change is in Entra ID.") + "\n"
        return out
    }
}
