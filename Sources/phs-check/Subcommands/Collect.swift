import ActiveDirectory
import ArgumentParser
import Foundation
import Logging
import SyncAudit

struct Collect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read every user from a domain controller and write a snapshot (JSON Lines).",
        usage: "phs-check collect --ldap-url <url> (--bind-dn <dn> --bind-password-file <file> | --sasl-mech GSSAPI) --output <file> [<options>]",
        discussion: """
            The snapshot's first line describes the collection; each further line is one user \
            with the attributes phs-check compares, and a closing line counts them (a snapshot \
            without it was cut short and is refused). With the config file's domains:, the file \
            holds one such section per domain. `phs-check compare --snapshot FILE` reads it on \
            another host.
            """
    )

    @OptionGroup(title: "Directory") var directory: DirectoryOptions
    @OptionGroup(title: "Several domains (the config file's domains:)") var domains: DomainOptions
    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Write the snapshot to this file (atomically) instead of standard output.", valueName: "file"), completion: .file())
    var output: String?

    func run() throws {
        let logger = global.makeLogger()
        let warnings = Warnings(global: global)
        let plans = try DomainPlan.all(directory)
        if plans.count == 1 {
            // One domain streams straight into the output.
            let plan = plans[0]
            let started = Date()
            let session = try DirectorySession.open(plan.options, global: global, warnings: warnings, logger: logger)
            let out = try Output(path: output)
            let progress = Progress(quiet: global.quiet)
            try out.write(Snapshot.encode(Snapshot.Header(collectedAt: started, server: session.server, baseDN: session.baseDN, domain: plan.name)))
            try out.write("\n")
            let summary = try session.readUsers(onProgress: progress.update) { user in
                try out.write(Snapshot.encode(user))
                try out.write("\n")
            }
            // The closing line: only a snapshot that got this far is complete.
            try out.write(Snapshot.encode(Snapshot.Trailer(users: summary.users)))
            try out.write("\n")
            try out.commit()
            progress.finish("\(summary.users) users in \(summary.pages) pages, \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            plan.warnUndecodable(summary.usersWithNotes, hint: Self.notesHint, warnings: warnings)
            return
        }
        try collectSeveral(plans, warnings: warnings, logger: logger)
    }

    /// Several domains, read in parallel, each into a private temporary file; then the output
    /// is written section by section in the config file's order. A domain that could not be
    /// read fails the run, or with --allow-partial gets a section that says why.
    private func collectSeveral(_ plans: [DomainPlan], warnings: Warnings, logger: Logger) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("phs-check-collect-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw Failure.usage("cannot make a temporary folder in \(FileManager.default.temporaryDirectory.path) for the domains' users: \(error.localizedDescription); set TMPDIR")
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let global = self.global
        let progress = Progress(quiet: global.quiet)
        let sections = boundedParallelMap(Array(plans.enumerated()), limit: domains.parallel) { index, plan in
            Self.collect(plan, into: folder.appendingPathComponent("\(index).jsonl"), global: global, warnings: warnings, logger: logger)
        }
        try DomainPlan.requireRead(sections.map(\.failure), plans: plans, allowPartial: domains.allowPartial)
        let out = try Output(path: output)
        for (section, plan) in zip(sections, plans) {
            try out.write(Snapshot.encode(section.header))
            try out.write("\n")
            if let file = section.file {
                guard let handle = FileHandle(forReadingAtPath: file.path) else {
                    throw Failure.usage("cannot read back the temporary file \(file.path) of \(section.header.domainName)")
                }
                defer { try? handle.close() }
                while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { try out.write(chunk) }
            }
            try out.write(Snapshot.encode(Snapshot.Trailer(users: section.users)))
            try out.write("\n")
            if section.failure == nil {
                progress.finish("\(section.header.domainName): \(section.users) users from \(section.header.server)")
                plan.warnUndecodable(section.usersWithNotes, hint: Self.notesHint, warnings: warnings)
            }
        }
        try out.commit()
    }

    /// One domain's section: its header, and its users in `file`.
    struct Section: Sendable {
        var header: Snapshot.Header
        var users = 0
        var usersWithNotes = 0
        var file: URL?
        var failure: Failure?
    }

    private static func collect(_ plan: DomainPlan, into file: URL, global: GlobalOptions, warnings: Warnings,
                                logger: Logger) -> Section {
        let started = Date()
        do throws(Failure) {
            let session = try DirectorySession.open(plan.options, global: global, warnings: warnings, logger: logger)
            guard FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let handle = FileHandle(forWritingAtPath: file.path)
            else { throw Failure.usage("cannot write the temporary file \(file.path); check TMPDIR") }
            defer { try? handle.close() }
            var buffer = Data()
            func flush() throws(Failure) {
                do { try handle.write(contentsOf: buffer) } catch {
                    throw .usage("cannot write the temporary file \(file.path): \(error.localizedDescription); check the space in TMPDIR")
                }
                buffer.removeAll(keepingCapacity: true)
            }
            let summary = try session.readUsers { user in
                buffer.append(Snapshot.encode(user))
                buffer.append(0x0A)
                if buffer.count >= 1 << 20 { try flush() }
            }
            try flush()
            let header = Snapshot.Header(collectedAt: started, server: session.server, baseDN: session.baseDN, domain: plan.name)
            return Section(header: header, users: summary.users, usersWithNotes: summary.usersWithNotes, file: file)
        } catch {
            let header = Snapshot.Header(collectedAt: started, server: plan.source, baseDN: plan.options.baseDN ?? "",
                                         domain: plan.name, unreachable: error.oneLine)
            return Section(header: header, failure: error)
        }
    }

    private static let notesHint = "see their \"notes\" in the snapshot"
}
