import ArgumentParser
import CloudExport
import EntraGraph
import Foundation
import SyncAudit

struct ExportCloud: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-cloud",
        abstract: "Read every user and the tenant's sync state from Microsoft Graph and write them to a file (JSON Lines).",
        discussion: """
            The first line says when and from where the users were read and holds the tenant's \
            state (organization, Cloud Sync jobs); each further line is one user as Graph sent it; \
            a closing line counts them (a file without it was cut short and is refused). Give the \
            file to check, compare or explain with --cloud FILE: its time is the comparison's asOf.

            Exit codes: 0 written, 2 bad usage or a response phs-check cannot read, 3 Graph \
            unreachable, throttling past --max-retry-wait, or the app's credential or a permission refused.
            """
    )

    @OptionGroup(title: "Microsoft Graph") var graph: GraphOptions

    @Option(name: .long, help: ArgumentHelp("Write the export to this file (atomically) instead of standard output.", valueName: "file"), completion: .file())
    var output: String?

    @Option(name: .customLong("timeout"), help: ArgumentHelp("Bounds each connection and each request, e.g. 30s, 2m.", valueName: "duration"))
    var timeout: String = "30s"

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard let limit = Duration.parse(timeout), limit > .zero else {
            throw ValidationError(Duration.problem("--timeout", timeout, positive: true, examples: "30s, 5m or 1h"))
        }
    }

    func run() throws {
        let logger = global.makeLogger()
        let warnings = Warnings(global: global)
        let settings = try graph.settings(timeout: Duration.parse(timeout)?.seconds ?? 30, warnings: warnings)
        let out = try Output(path: output)
        // The users go to a body file beside the output while they are read; the header,
        // which holds the end time, is written first when everything has arrived.
        let body = try BodyFile(near: output)
        defer { body.remove() }
        let progress = Progress(quiet: global.quiet)
        let side = try GraphSide(settings, logger: logger, keepLines: true) { page, pages, users in
            try body.append(page.lines)
            progress.update(users, pages)
        }
        let read = try side.wait()
        try out.write(Data(read.header.line(tenantDocument: read.tenant.document.json)))
        try body.copy(to: out)
        try out.write(Data(GraphExportHeader.endLine(users: read.users.users)))
        try out.commit()
        progress.finish("\(read.users.users) users in \(read.users.pages) pages, \(String(format: "%.1f", read.users.finishedAt.timeIntervalSince(read.users.startedAt))) s")
        for note in read.tenant.notes { warnings.add(.tenantStatePartial, note) }
    }
}

/// A temporary file the users are written to as they arrive, removed when the command ends.
final class BodyFile: @unchecked Sendable {
    private let path: String
    private let handle: FileHandle

    /// Beside `output` (same file system, no /tmp filled), or in the temporary folder for standard output.
    init(near output: String?) throws(Failure) {
        let folder = output.flatMap { $0 == "-" ? nil : URL(fileURLWithPath: $0).deletingLastPathComponent().path }
            ?? FileManager.default.temporaryDirectory.path
        path = folder + "/.phs-check-export-\(getpid()).body"
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forUpdatingAtPath: path)
        else {
            throw .usage("cannot write a temporary file in \(folder) (\(String(cString: strerror(errno)))); choose a writable folder for --output")
        }
        self.handle = handle
        TemporaryFiles.add(path)
    }

    func append(_ bytes: [UInt8]) throws {
        do { try handle.write(contentsOf: bytes) } catch {
            throw Failure.usage("cannot write the temporary file \(path): \(error.localizedDescription)")
        }
    }

    /// Copies everything appended to `out`, a chunk at a time.
    func copy(to out: Output) throws(Failure) {
        do {
            try handle.seek(toOffset: 0)
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                try out.write(chunk)
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .usage("cannot read back the temporary file \(path): \(error.localizedDescription)")
        }
    }

    /// Closes and deletes the file; the reading task may still hold this object when a
    /// failed run exits, so this is not left to deinit.
    func remove() {
        try? handle.close()
        unlink(path)
        TemporaryFiles.remove(path)
    }
}
