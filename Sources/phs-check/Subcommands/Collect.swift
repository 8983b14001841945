import ActiveDirectory
import ArgumentParser
import Foundation
import LDAPClient
import SyncAudit

struct Collect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read every user from a domain controller and write a snapshot (JSON Lines).",
        discussion: """
            The snapshot's first line describes the collection; each further line is one user \
            with the attributes phs-check compares. `phs-check compare --snapshot FILE` reads it \
            on another host.
            """
    )

    @OptionGroup(title: "Directory") var directory: DirectoryOptions
    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Write the snapshot to this file (atomically) instead of standard output.", valueName: "file"))
    var output: String?

    func run() throws {
        let logger = global.makeLogger()
        let configuration = try directory.configuration()
        if directory.insecureSkipTLSVerify {
            global.warn("--insecure-skip-tls-verify: the DC's certificate is NOT verified; anyone on the network path can read the bind and the users. Use --ca-file instead.")
        }
        let out = try Output(path: output)
        let progress = Progress(quiet: global.quiet)
        let started = Date()
        var users = 0
        do {
            let session = try DirectorySession.open(configuration, options: directory, logger: logger)
            try out.write(Snapshot.encode(Snapshot.Header(collectedAt: started, server: session.server, baseDN: session.baseDN)))
            try out.write("\n")
            try session.readUsers(options: directory, onPage: { page in
                progress.update(users: page.users, pages: page.pages)
            }, onUser: { user in
                try out.write(Snapshot.encode(user))
                try out.write("\n")
                users += 1
            })
        } catch let error as LDAPError {
            throw Failure.directory(error)
        }
        try out.commit()
        progress.finish("\(users) users collected in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}
