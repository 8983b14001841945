import ActiveDirectory
import ArgumentParser
import EntraGraph
import Foundation
import LDAPClient
import Logging
import Reports
import RunHistory
import SyncAudit

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Change a dedicated canary account's password on-premises and watch it arrive in Entra ID, with the latency of each stage.",
        usage: "phs-check probe --canary <user> --ldap-url <url> (--bind-dn <dn> --bind-password-file <file> | --sasl-mech GSSAPI) --tenant-id <id> --client-id <guid> (--client-certificate <file> --client-key <file> | --client-secret-file <file>) [<options>]",
        discussion: """
            The probe binds with its own account, which may reset the canary's password and nothing \
            else; it refuses an account that is in a group, privileged or disabled. It sets a new \
            random password (never shown, logged or kept) over an encrypted connection, then polls \
            Microsoft Graph for the canary's lastPasswordChangeDateTime until the change arrives or \
            --probe-timeout passes (docs/PROBE.md).

            Exit codes: 0 the change arrived in time, 1 it did not (with the reasons and next steps \
            of check), 2 bad usage or input, 3 the DC or Graph unreachable, or a bind, credential or \
            permission refused.
            """
    )

    @Option(name: .customLong("canary"), help: ArgumentHelp(
        "The dedicated canary account: its sAMAccountName, UPN or DN.", valueName: "user"))
    var canary: String

    @Option(name: .customLong("probe-timeout"), help: ArgumentHelp(
        "How long to wait for the change to arrive in Entra ID.", valueName: "duration"))
    var probeTimeout: String = "30m"

    @Option(name: .customLong("poll-interval"), help: ArgumentHelp(
        "The first wait between two reads of Graph; each next one is half as long again, up to 5m.", valueName: "duration"))
    var pollInterval: String = "30s"

    @Option(name: .customLong("max-skew"), help: ArgumentHelp(
        "Clock difference tolerated between the DC and Entra ID.", valueName: "duration"))
    var maxSkew: String = "5m"

    @Option(name: .customLong("format"), help: ArgumentHelp(
        "table, json, or prometheus (node_exporter's textfile collector: phs_check_probe_success, phs_check_probe_latency_seconds by stage).",
        valueName: "table|json|prometheus"))
    var format: ProbeFormat = .table

    @Option(name: .long, help: ArgumentHelp(
        "Write the report to this file (atomically) instead of standard output; with prometheus, a probe that cannot run writes phs_check_probe_success 0 there.",
        valueName: "file"), completion: .file())
    var output: String?

    @Flag(name: .customLong("prove-signin"), help: "Also sign in as the canary with the new password (OAuth 2.0 password grant) and check that the previous one fails: proof the hash arrived, not only its timestamp.")
    var proveSignin = false

    @Option(name: .customLong("signin-client-id"), help: ArgumentHelp(
        "The public client app (Allow public client flows) the canary signs in with, for --prove-signin.", valueName: "guid"))
    var signinClientId: String?

    @Option(name: .customLong("history"), help: ArgumentHelp(
        "Record the probe (its outcome and each stage's latency) in this SQLite history; phs-check history lists them.",
        valueName: "file"), completion: .file())
    var history: String?

    @OptionGroup(title: "Directory (the probe's own bind, allowed to reset the canary's password)") var directory: DirectoryOptions
    @OptionGroup(title: "Microsoft Graph") var graph: GraphOptions
    @OptionGroup var global: GlobalOptions

    /// The longest wait between two polls.
    static let maxPollInterval: TimeInterval = 300

    func validate() throws {
        for (option, value) in [("--probe-timeout", probeTimeout), ("--poll-interval", pollInterval)] {
            guard let limit = Duration.parse(value), limit > .zero else {
                throw ValidationError(Duration.problem(option, value, positive: true, examples: "30s, 5m or 1h"))
            }
        }
        if Duration.parse(maxSkew) == nil { throw ValidationError(Duration.problem("--max-skew", maxSkew)) }
        if proveSignin, signinClientId == nil {
            throw ValidationError("--prove-signin needs --signin-client-id: the public client app the canary signs in with (docs/PROBE.md)")
        }
        if canary.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--canary: name the dedicated canary account (sAMAccountName, UPN or DN)")
        }
    }

    func run() throws {
        let startedAt = Date()
        // Opened first: a history that cannot be written fails before the password is touched.
        let store: RunHistoryStore?
        do {
            store = try history.map { (path) throws(RunHistoryError) in try RunHistoryStore(path: path) }
        } catch {
            throw Failure.usage("--history \(error.message)")
        }
        defer { store?.close() }
        let (run, findings): (ProbeRun, [Finding])
        do {
            (run, findings) = try probe()
        } catch let failure as Failure {
            // The collector and the history must see a probe that could not run, not the last success.
            if format == .prometheus, output != nil {
                let out = try Output(path: output)
                try out.write(ProbeReport.prometheusFailure(at: startedAt, message: failure.oneLine))
                try out.commit()
            }
            try? store?.record(probe: ProbeRecord(startedAt: startedAt, finishedAt: Date(), toolVersion: PHSCheck.version,
                                                  canary: canary, outcome: .failed, message: failure.oneLine))
            throw failure
        }
        if let store {
            do {
                try store.record(probe: ProbeRecord(run, arrived: findings.isEmpty, finishedAt: Date(), toolVersion: PHSCheck.version))
            } catch {
                throw Failure.usage("--history \(error.message)")
            }
        }
        if !findings.isEmpty { throw ExitCode(ExitStatus.findings.rawValue) }
    }

    /// The probe, its report written; its run and why the change did not arrive (none: it did).
    private func probe() throws -> (ProbeRun, [Finding]) {
        // The new password lives in this process's memory for the probe's length: no core
        // dump may hold it, and no other process of this user may read it (ptrace, /proc/PID/mem).
        ProcessSecrecy.forbidDumps()
        // Opened first: an --output that cannot be written fails before the password is touched.
        let out = try Output(path: output)
        let logger = global.makeLogger()
        let warnings = Warnings(global: global)
        let timeout = Duration.parse(probeTimeout)?.seconds ?? 1800
        let skew = Duration.parse(maxSkew)?.seconds ?? AuditSettings.defaultMaxSkew

        let session = try DirectorySession.open(directory, global: global, warnings: warnings, logger: logger)
        let account = try directoryCall { try Canary.find(UserIdentity(canary), base: session.baseDN, in: session.connection) }
        if let refusal = account.refusal { throw Failure.usage("--canary \(canary): \(refusal)") }
        guard let anchor = account.user.sourceAnchor else {
            throw Failure.usage("--canary \(canary): \(account.user.distinguishedName) has no objectGUID to find it in Entra ID by")
        }
        let graphSession: GraphSession
        do {
            graphSession = try GraphSession(settings: try graph.settings(timeout: directory.timeoutSeconds, warnings: warnings), logger: logger)
        } catch let error as GraphError { throw Failure(graph: error) }
        defer { GraphCall.shutdown(graphSession) }
        let reader = GraphReader(session: graphSession)
        let settings = AuditSettings(asOf: Date(), asOfSource: .graph, maxSkew: skew)

        // Before anything changes: the canary in the cloud, and whatever would keep a change
        // from arriving (not synced, excluded from PHS, another anchor ...) ends the probe here.
        let before = try GraphCall.run { try await reader.users(anchor: anchor) }
        let blockers = Audit.run(directory: [account.user], cloud: before, settings: settings, syncStateKnown: true).findings
            .filter { $0.scope == .user && !Self.passwordStepCodes.contains($0.code) }
        if !blockers.isEmpty {
            var run = ProbeRun(canary: account.user, startedAt: Date(), baseline: nil, changedAt: Date(), timeout: timeout, maxSkew: skew)
            run.changed = false
            try emit(run, findings: blockers, warnings: warnings, server: session.server, to: out)
            return (run, blockers)
        }

        let minimum = session.baseDN.isEmpty ? nil : Canary.minimumPasswordLength(domain: session.baseDN, in: session.connection)
        var random = SystemRandomNumberGenerator()
        func newPassword() -> SecretBytes {
            CanaryPassword.generate(minimumLength: minimum ?? 0, avoiding: [account.user.samAccountName, account.displayName ?? ""], using: &random)
        }
        let deadline = Date().addingTimeInterval(timeout)
        /// One change: `password` set on the DC, then Graph polled until the change arrives or the deadline passes.
        func change(to password: SecretBytes, baseline: Date?) throws -> ProbeRun {
            let startedAt = Date()
            let reset = try directoryCall { try Canary.reset(account, password: password, on: session.connection) }
            guard let changedAt = reset.user.pwdLastSet.date else {
                throw Failure.directory("\(session.server) shows no pwdLastSet for \(reset.user.distinguishedName) after the reset")
            }
            var run = ProbeRun(canary: reset.user, startedAt: startedAt, baseline: baseline, changedAt: changedAt, timeout: timeout, maxSkew: skew)
            if !global.quiet { FileHandle.standardError.write(Data("phs-check: the canary's password was changed at \(Timestamp.format(changedAt)); waiting up to \(HumanDuration.format(deadline.timeIntervalSinceNow)) for Entra ID\n".utf8)) }
            try poll(until: deadline) {
                let users = try GraphCall.run { try await reader.users(anchor: anchor) }
                run.record(users.count == 1 ? users[0] : nil, at: Date())
                logger.debug("probe poll", metadata: ["poll": "\(run.polls)", "cloud": "\(run.cloud?.lastPasswordChangeDateTime.map(Timestamp.format) ?? "none")"])
                return run.arrivedAt != nil
            }
            return run
        }
        /// Signs in with `password` until Entra ID takes it or the deadline passes: when it did, the time.
        func signIn(_ password: SecretBytes, as user: String, clientId: String) throws -> Date? {
            var signedIn: Date?
            try poll(until: deadline) {
                switch try GraphCall.run({ try await graphSession.signIn(username: user, password: password, clientId: clientId) }) {
                case .accepted: signedIn = Date(); return true
                case .wrongPassword: return false
                case .refused(let codes, let summary, let advice):
                    throw Failure.directory("Entra ID refused the canary's sign-in for another reason than its password (\(codes.map { "AADSTS\($0)" }.joined(separator: ", ")): \(summary)): it proves nothing. \(advice)")
                }
            }
            return signedIn
        }

        let signInClient = signinClientId ?? ""
        var baseline = before.first?.lastPasswordChangeDateTime
        // With --prove-signin, a first change makes a password this run knows, and proves it
        // signs in; the second, the one measured, must sign in and make that one fail.
        var previous: SecretBytes?
        if proveSignin {
            let first = newPassword()
            var run = try change(to: first, baseline: baseline)
            if run.arrivedAt != nil, let cloudUPN = run.cloud?.userPrincipalName {
                run.signedInAt = try signIn(first, as: cloudUPN, clientId: signInClient)
            }
            let findings = Probe.findings(run, settings: settings, proveSignIn: true)
            if !findings.isEmpty {
                try emit(run, findings: findings, warnings: warnings, server: session.server, to: out)
                return (run, findings)
            }
            baseline = run.arrivedAt
            previous = first
        }
        let password = newPassword()
        var run = try change(to: password, baseline: baseline)
        if proveSignin, run.arrivedAt != nil, let cloudUPN = run.cloud?.userPrincipalName, let previous {
            run.signedInAt = try signIn(password, as: cloudUPN, clientId: signInClient)
            if run.signedInAt != nil {
                run.previousRefused = try GraphCall.run { try await graphSession.signIn(username: cloudUPN, password: previous, clientId: signInClient) } == .wrongPassword
            }
        }
        // The passwords are released here, their bytes zeroed: nobody knows the canary's now.
        let findings = Probe.findings(run, settings: settings, proveSignIn: proveSignin)
        try emit(run, findings: findings, warnings: warnings, server: session.server, to: out)
        return (run, findings)
    }

    /// Runs `attempt` after a wait (`--poll-interval`, growing by half each time up to 5
    /// minutes, never past `deadline`) until it says done or a try at or after `deadline` failed.
    private func poll(until deadline: Date, _ attempt: () throws -> Bool) throws {
        let interval = Duration.parse(pollInterval)?.seconds ?? 30
        var tries = 0
        while true {
            let wait = min(Probe.delay(afterPolls: tries, interval: interval, maxInterval: max(interval, Self.maxPollInterval)),
                           deadline.timeIntervalSinceNow)
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            tries += 1
            if try attempt() || Date() >= deadline { return }
        }
    }

    /// The findings of `check`'s password step: they describe the last change, which the probe
    /// replaces; the others would keep any change from arriving.
    static let passwordStepCodes: Set<FindingCode> = [
        .passwordNotSynced, .passwordSyncPending, .changedAfterExport, .temporaryPassword,
        .passwordChangeUnconfirmed, .cloudPasswordNewer, .passwordTimeAmbiguous,
    ]

    private func emit(_ run: ProbeRun, findings: [Finding], warnings: Warnings, server: String, to out: Output) throws {
        let text = switch format {
        case .table: ProbeReport.render(run, findings: findings, warnings: warnings.all, server: server,
                                        color: output == nil && ReportOptions.colorOnStandardOutput)
        case .json: ProbeReport.json(run, findings: findings, warnings: warnings.all, server: server, version: PHSCheck.version) + "\n"
        case .prometheus: ProbeReport.prometheus(run, findings: findings)
        }
        try out.write(text)
        try out.commit()
    }
}

enum ProbeFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, prometheus
}

/// Keeps secrets in memory out of reach: no core dump (`RLIMIT_CORE` 0) and not dumpable
/// (`PR_SET_DUMPABLE` 0: no core file even where the limit is raised again, and no ptrace or
/// /proc/PID/mem by other processes of the same user).
enum ProcessSecrecy {
    static func forbidDumps() {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none)
        // prctl(2) is not in Swift's Glibc module (no <sys/prctl.h>): looked up by name.
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") {
            _ = unsafeBitCast(symbol, to: Prctl.self)(Self.setDumpable, 0, 0, 0, 0)
        }
    }

    /// `PR_SET_DUMPABLE` of <linux/prctl.h>.
    static let setDumpable: Int32 = 4
}

/// Graph's async calls from a command's synchronous `run`.
enum GraphCall {
    /// Runs `body` on its own task and waits for it; Graph's failures leave with their exit codes.
    static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws(Failure) -> T {
        let box = ResultBox<T>()
        Task.detached {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            box.done.signal()
        }
        box.done.wait()
        switch box.result! {
        case .success(let value): return value
        case .failure(let error as GraphError): throw Failure(graph: error)
        case .failure(let error as Failure): throw error
        case .failure(let error): throw .directory("\(error)")
        }
    }

    static func shutdown(_ session: GraphSession) {
        _ = try? run { await session.shutdown() }
    }

    final class ResultBox<T>: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        var result: Result<T, any Error>?
    }
}
