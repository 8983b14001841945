import ActiveDirectory
import ArgumentParser
import Foundation
import SyncAudit

struct Collect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read every user from a domain controller and write a snapshot (JSON Lines).",
        discussion: """
            The snapshot's first line describes the collection; each further line is one user \
            with the attributes phs-check compares, and a closing line counts them (a snapshot \
            without it was cut short and is refused). `phs-check compare --snapshot FILE` reads it \
            on another host.
            """
    )

    @OptionGroup(title: "Directory") var directory: DirectoryOptions
    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Write the snapshot to this file (atomically) instead of standard output.", valueName: "file"))
    var output: String?

    func run() throws {
        let logger = global.makeLogger()
        let started = Date()
        let warnings = Warnings(global: global)
        let session = try DirectorySession.open(directory, global: global, warnings: warnings, logger: logger)
        let out = try Output(path: output)
        let progress = Progress(quiet: global.quiet)
        try out.write(Snapshot.encode(Snapshot.Header(collectedAt: started, server: session.server, baseDN: session.baseDN)))
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
        if summary.usersWithNotes > 0 {
            warnings.add(.undecodableAttributes, "\(summary.usersWithNotes) users had attributes that could not be decoded; see their \"notes\" in the snapshot")
        }
    }
}
