import ActiveDirectory
import Foundation
import Logging
import SyncAudit

extension Comparison.Directory {
    /// Every user in scope, read live from the DC.
    static func live(_ options: DirectoryOptions, global: GlobalOptions, warnings: Warnings,
                     logger: Logger) throws(Failure) -> Self {
        let session = try DirectorySession.open(options, global: global, warnings: warnings, logger: logger)
        let readAt = Date()
        let progress = Progress(quiet: global.quiet)
        var users: [DirectoryUser] = []
        let summary = try session.readUsers(onProgress: progress.update) { users.append($0) }
        progress.finish("\(users.count) directory users read")
        if summary.usersWithNotes > 0 {
            warnings.add(.undecodableAttributes, "\(summary.usersWithNotes) users had attributes that could not be decoded; phs-check collect --output FILE shows their \"notes\"")
        }
        return Self(users: users,
                    source: .init(source: session.server, baseDN: session.baseDN, users: users.count, readAt: readAt))
    }

    /// Every user of a snapshot written by `collect`.
    static func snapshot(_ path: String, limits: InputLimits) throws(Failure) -> Self {
        let (header, users) = try SnapshotFile.read(path, limits: limits)
        let readAt = Timestamp.parse(header.collectedAt)
        guard let readAt else {
            throw .usage("\(path) line 1: collectedAt \"\(header.collectedAt)\" is not an ISO 8601 UTC time; take the snapshot again with phs-check collect")
        }
        return Self(users: users,
                    source: .init(source: "snapshot \(path) (\(header.server), collected \(header.collectedAt))",
                                  baseDN: header.baseDN, users: users.count, readAt: readAt))
    }
}

/// Opens a snapshot file and reads it with `SnapshotReader`; errors name the file and line.
enum SnapshotFile {
    static func read(_ path: String, limits: InputLimits) throws(Failure) -> (Snapshot.Header, [DirectoryUser]) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .usage("--snapshot \(path): cannot open it; check the path (take one with phs-check collect --output FILE)")
        }
        defer { try? handle.close() }
        var users: [DirectoryUser] = []
        do {
            let header = try SnapshotReader.read(chunks: { try handle.read(upToCount: 1 << 20) }, limits: limits) { users.append($0) }
            return (header, users)
        } catch {
            switch error {
            case .line(let line): throw .usage("\(path) \(line.description)")
            case .empty: throw .usage("\(path) is empty: it is not a phs-check snapshot (take one with phs-check collect --output FILE)")
            case .incomplete(let n): throw .usage("\(path) ends after \(n) \(n == 1 ? "user" : "users") without its closing line: the snapshot is incomplete (collect was interrupted, or the file was cut short). Take it again with phs-check collect --output FILE; nothing was compared")
            case .countMismatch(let trailer, let read): throw .usage("\(path): its closing line counts \(trailer) users but \(read) were read: the file was edited or damaged. Take it again with phs-check collect --output FILE; nothing was compared")
            case .lineTooLong(let line, let limit):
                throw .usage("\(path) line \(line) runs past \(ByteSize.format(limit)) without ending: it is not a phs-check snapshot (a snapshot line is about 1 KiB). If it really is one, raise --max-record-size")
            case .source(let cause): throw .usage("\(path): cannot read it: \(cause.localizedDescription)")
            }
        }
    }
}
