public import Foundation

/// One run of `phs-check probe`: a canary's password changed on-premises, and what Entra ID
/// showed of it, stage by stage (docs/PROBE.md). Times are the systems' own records where there
/// is one (the DC's `pwdLastSet`, the cloud's `lastPasswordChangeDateTime`), else phs-check's clock.
public struct ProbeRun: Sendable, Hashable {
    public var canary: DirectoryUser
    /// When the probe began (before the reset).
    public var startedAt: Date
    /// The cloud's `lastPasswordChangeDateTime` before the reset: arrival is a move from it.
    public var baseline: Date?
    /// T0: the DC's `pwdLastSet` after the reset.
    public var changedAt: Date
    /// The last cloud user read, and when phs-check read it.
    public var cloud: CloudUser?
    public var lastPollAt: Date
    public var polls: Int
    /// How long the probe waits for the change to arrive, from `changedAt` (`--probe-timeout`).
    public var timeout: TimeInterval
    public var maxSkew: TimeInterval
    /// When phs-check first saw the change in the cloud; nil when it never did.
    public var seenAt: Date?
    /// False when the probe stopped before the reset (something keeps any change from arriving).
    public var changed = true
    /// With `--prove-signin`: when the new password first signed in to Entra ID (nil: it never did).
    public var signedInAt: Date?
    /// With `--prove-signin`, once the new password signed in: whether the previous one was
    /// refused as a wrong password.
    public var previousRefused: Bool?

    public init(canary: DirectoryUser, startedAt: Date, baseline: Date?, changedAt: Date, timeout: TimeInterval,
                maxSkew: TimeInterval = AuditSettings.defaultMaxSkew) {
        self.canary = canary
        self.startedAt = startedAt
        self.baseline = baseline
        self.changedAt = changedAt
        self.lastPollAt = changedAt
        self.polls = 0
        self.timeout = timeout
        self.maxSkew = maxSkew
    }

    /// T1: the cloud's record of the change, once it has arrived.
    public var arrivedAt: Date? {
        guard let time = cloud?.lastPasswordChangeDateTime, Probe.arrived(cloud: time, baseline: baseline, changedAt: changedAt, maxSkew: maxSkew)
        else { return nil }
        return time
    }

    /// Records one poll's cloud user, read at `at`.
    public mutating func record(_ user: CloudUser?, at: Date) {
        cloud = user
        lastPollAt = at
        polls += 1
        if seenAt == nil, arrivedAt != nil { seenAt = at }
    }
}

/// A stage of the probe and how long it took from the change on-premises.
public struct ProbeStage: Sendable, Hashable {
    public enum Name: String, Sendable, CaseIterable {
        /// The reset, from the probe's start to the DC's `pwdLastSet`.
        case reset
        /// From `pwdLastSet` to the cloud's `lastPasswordChangeDateTime`: PHS as Entra records it.
        case arrival
        /// From `pwdLastSet` to the poll that saw it: bounded by the poll interval.
        case observed
        /// From `pwdLastSet` to the first sign-in with the new password (`--prove-signin`).
        case signin
    }
    public var name: Name
    public var at: Date
    public var seconds: TimeInterval
}

/// The rules of the probe: when a change has arrived, how often to look, and the verdict.
public enum Probe {
    /// The change has arrived when the cloud's time moved off its value before the reset and
    /// reached the change within the clock skew: `check`'s rule for a change that is in the
    /// cloud (`Rules.isInCloud`), with the baseline so that an earlier probe's change, a moment
    /// before, is not taken for this one.
    public static func arrived(cloud: Date, baseline: Date?, changedAt: Date, maxSkew: TimeInterval) -> Bool {
        (baseline.map { cloud > $0 } ?? true) && Rules.isInCloud(cloud, changedAt: changedAt, maxSkew: maxSkew)
    }

    /// How long to wait before each poll: `interval`, growing by half each time up to
    /// `maxInterval` — quick for a sync that takes seconds, light for one that takes minutes.
    public static func delay(afterPolls polls: Int, interval: TimeInterval, maxInterval: TimeInterval) -> TimeInterval {
        min(maxInterval, interval * pow(1.5, Double(max(0, polls))))
    }

    /// The stages reached, in order.
    public static func stages(_ run: ProbeRun) -> [ProbeStage] {
        guard run.changed else { return [] }
        var stages = [ProbeStage(name: .reset, at: run.changedAt, seconds: run.changedAt.timeIntervalSince(run.startedAt))]
        if let arrived = run.arrivedAt {
            stages.append(ProbeStage(name: .arrival, at: arrived, seconds: arrived.timeIntervalSince(run.changedAt)))
        }
        if let seen = run.seenAt {
            stages.append(ProbeStage(name: .observed, at: seen, seconds: seen.timeIntervalSince(run.changedAt)))
        }
        if let signedIn = run.signedInAt {
            stages.append(ProbeStage(name: .signin, at: signedIn, seconds: signedIn.timeIntervalSince(run.changedAt)))
        }
        return stages
    }

    /// Each stage reached and its seconds, by name (for metrics and the history).
    public static func latencies(_ run: ProbeRun) -> [ProbeStage.Name: TimeInterval] {
        Dictionary(uniqueKeysWithValues: stages(run).map { ($0.name, $0.seconds) })
    }

    /// The probe reads the cloud user with `onPremisesSyncEnabled` selected, so the rules judge
    /// it (`syncStateKnown`). The verdict: nil when the change arrived, else why not — the findings `check` gives the
    /// canary at the last poll, with no grace left (the probe waited its timeout: a change that did not
    /// arrive is `password-not-synced`, with its troubleshooter command), or, when the rules see
    /// nothing because the cloud's time did not move, `password-not-synced` saying so.
    ///
    /// With `proveSignIn`, an arrived change must also sign in, and the previous password fail:
    /// else the timestamp moved without the hash, and that is `password-not-synced` too.
    public static func findings(_ run: ProbeRun, settings base: AuditSettings, proveSignIn: Bool = false) -> [Finding] {
        /// The probe's own `password-not-synced`, with `check`'s troubleshooter command.
        func notSynced(_ message: String) -> [Finding] {
            [Finding(code: .passwordNotSynced, directoryUser: run.canary, cloudUser: run.cloud, matchedBy: .immutableId, message: message,
                     command: Rules(settings: base, syncStateKnown: true).troubleshooter(run.canary))]
        }
        if let arrived = run.arrivedAt {
            guard proveSignIn else { return [] }
            if run.signedInAt == nil {
                return notSynced("Entra ID recorded the password change of \(run.canary.samAccountName) at \(Timestamp.format(arrived)) (lastPasswordChangeDateTime), but the new password does not sign in: the hash did not arrive.")
            }
            if run.previousRefused == false {
                return notSynced("The new password of \(run.canary.samAccountName) signs in to Entra ID, but so does the previous one: the new hash did not replace it.")
            }
            return []
        }
        var settings = base
        settings.asOf = run.lastPollAt
        // The probe waited its time: no grace is left, so a change not in the cloud is
        // password-not-synced, never password-sync-pending.
        settings.grace = 0
        settings.maxSkew = run.maxSkew
        let findings = Audit.run(directory: [run.canary], cloud: run.cloud.map { [$0] } ?? [], settings: settings, syncStateKnown: true)
            .findings.filter { $0.scope == .user }
        if !findings.isEmpty { return findings }
        let waited = run.lastPollAt.timeIntervalSince(run.changedAt)
        let cloudText = run.cloud?.lastPasswordChangeDateTime.map { "stayed at \(Timestamp.format($0)), its value before the reset" } ?? "is still empty"
        return notSynced("The password of \(run.canary.samAccountName) changed on-premises at \(Timestamp.format(run.changedAt)), but Entra ID's lastPasswordChangeDateTime \(cloudText): after \(HumanDuration.format(waited)) it has not arrived.")
    }

    /// What the probe proved, in one sentence.
    public static func summary(_ run: ProbeRun) -> String {
        guard run.changed else {
            return "The canary's password was not changed: what the findings name keeps any change from arriving."
        }
        guard let arrived = run.arrivedAt else {
            return "The password changed on-premises at \(Timestamp.format(run.changedAt)) did not arrive in Entra ID within \(HumanDuration.format(run.timeout))."
        }
        let signedIn = run.signedInAt.map { " and signed in at \(Timestamp.format($0))" } ?? ""
        return "The password changed on-premises at \(Timestamp.format(run.changedAt)) arrived in Entra ID at \(Timestamp.format(arrived)) (lastPasswordChangeDateTime)\(signedIn), \(HumanDuration.format(max(0, arrived.timeIntervalSince(run.changedAt)))) later."
    }
}
