import ActiveDirectory
import ArgumentParser
import ConfigLoader
import Foundation
import Logging
import SyncAudit

/// The config file's `domains:`, set once by `PHSCheck.main` before the command runs
/// (argument-parser builds the command from arguments only).
enum ConfigDomains {
    nonisolated(unsafe) static var path: String?
    nonisolated(unsafe) static var sections: [ConfigFile.DomainSection] = []
}

/// One domain to read: its name, and how to reach it. The command line names one domain
/// (its name is its DNS name, known once the DC told its naming context); the config file's
/// `domains:` name several.
struct DomainPlan {
    var name: String?
    var options: DirectoryOptions
    /// Where it was configured, for messages: `FILE line N`.
    var origin: String?

    /// The domains of this run: the config file's `domains:`, else the command line's one.
    static func all(_ directory: DirectoryOptions) throws(Failure) -> [DomainPlan] {
        guard !ConfigDomains.sections.isEmpty else { return [DomainPlan(name: nil, options: directory)] }
        let path = ConfigDomains.path ?? "the config file"
        return try ConfigDomains.sections.map { section throws(Failure) in
            let origin = "\(path) line \(section.line)"
            do {
                return DomainPlan(name: section.name, options: try DirectoryOptions.parse(section.arguments), origin: origin)
            } catch {
                let message = DirectoryOptions.message(for: error)
                throw Failure.usage("domain \(section.name) (\(origin)): \(message)")
            }
        }
    }

    /// A failure of this domain, named by it when there are several.
    func naming(_ failure: Failure) -> Failure {
        guard let name else { return failure }
        return Failure(status: failure.status, message: "domain \(name) (\(origin ?? "")): \(failure.message)")
    }

    /// The URLs tried, as the report names a domain that could not be read.
    var source: String { options.ldapURLs.joined(separator: ", ") }

    /// The `undecodable-attributes` warning for this domain's users, when there are any;
    /// `hint` says where their notes are.
    func warnUndecodable(_ users: Int, hint: String, warnings: Warnings) {
        guard users > 0 else { return }
        let place = name.map { "domain \($0): " } ?? ""
        warnings.add(.undecodableAttributes, "\(place)\(users) users had attributes that could not be decoded; \(hint)")
    }

    /// Throws the first domain that failed, unless `allowPartial` lets the run go on without
    /// it: only for a domain that could not be reached (exit 3), never for a mistake in the
    /// options, and never when no domain was read.
    static func requireRead(_ failures: [Failure?], plans: [DomainPlan], allowPartial: Bool) throws(Failure) {
        for (failure, plan) in zip(failures, plans) {
            guard let failure else { continue }
            if allowPartial, failure.status == .directoryUnavailable, failures.contains(where: { $0 == nil }) { continue }
            var named = plan.naming(failure)
            if failure.status == .directoryUnavailable, plans.count > 1, !allowPartial {
                named.message += ". To report it as a finding and compare the other domains, add --allow-partial"
            }
            throw named
        }
    }
}

extension DomainPlan: @unchecked Sendable {}

/// One domain as read: its users (each naming it), or why it could not be read.
struct DomainRead: Sendable {
    var domain: DirectoryDomain
    var users: [DirectoryUser]
    var failure: Failure?
}

extension Comparison.Directory {
    /// Every user in scope of every domain of the run, read live, the domains in parallel
    /// (`--parallel-domains`). A domain that cannot be read fails the run, naming it; with
    /// `--allow-partial` a domain whose DCs could not be reached (exit 3) is reported instead.
    static func live(_ directory: DirectoryOptions, domains: DomainOptions, global: GlobalOptions,
                     warnings: Warnings, logger: Logger) throws(Failure) -> Self {
        let plans = try DomainPlan.all(directory)
        let progress = Progress(quiet: global.quiet)
        let several = plans.count > 1
        let reads = boundedParallelMap(plans, limit: domains.parallel) { plan in
            read(plan, progress: several ? nil : progress, global: global, warnings: warnings, logger: logger)
        }
        for read in reads where read.failure == nil && several {
            progress.finish("\(read.domain.name): \(read.users.count) users from \(read.domain.source)")
        }
        try DomainPlan.requireRead(reads.map(\.failure), plans: plans, allowPartial: domains.allowPartial)
        return Self(users: reads.flatMap(\.users), domains: reads.map(\.domain))
    }

    /// One domain, on the calling thread.
    private static func read(_ plan: DomainPlan, progress: Progress?, global: GlobalOptions,
                             warnings: Warnings, logger: Logger) -> DomainRead {
        let unread = DirectoryDomain(name: plan.name ?? plan.options.baseDN.flatMap(DomainNames.dnsName(ofDN:)) ?? plan.source,
                                     namingContext: plan.options.baseDN, source: plan.source)
        do throws(Failure) {
            let session = try DirectorySession.open(plan.options, global: global, warnings: warnings, logger: logger)
            let name = plan.name ?? DomainNames.dnsName(ofDN: session.baseDN) ?? session.baseDN
            let readAt = Date()
            var users: [DirectoryUser] = []
            let summary = try session.readUsers(onProgress: progress?.update ?? { _, _ in }) { user in
                var user = user
                user.domain = name
                users.append(user)
            }
            progress?.finish("\(users.count) directory users read")
            plan.warnUndecodable(summary.usersWithNotes, hint: "phs-check collect --output FILE shows their \"notes\"", warnings: warnings)
            let domain = DirectoryDomain(name: name, namingContext: session.baseDN, source: session.server, readAt: readAt)
            return DomainRead(domain: domain, users: users, failure: nil)
        } catch {
            var domain = unread
            domain.failure = error.oneLine
            return DomainRead(domain: domain, users: [], failure: error)
        }
    }
}
