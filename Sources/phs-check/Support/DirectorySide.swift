import ActiveDirectory
import Foundation
import Logging
import SyncAudit

extension Comparison.Directory {
    /// Every user of the snapshots written by `collect`: one file per domain, or a file with
    /// a section per domain. A domain that `collect --allow-partial` could not read is compared
    /// only with `--allow-partial` (a `domain-unreachable` finding), as it would be live.
    static func snapshots(_ paths: [String], limits: InputLimits, allowPartial: Bool) throws(Failure) -> Self {
        var users: [DirectoryUser] = []
        var domains: [DirectoryDomain] = []
        var seen: [String: String] = [:]
        for path in paths {
            let sections = try SnapshotFile.read(path, limits: limits) { users.append($0) }
            for section in sections {
                let header = section.header
                let name = header.domainName
                if let other = seen[name.lowercased()] {
                    throw .usage("\(path) and \(other) both hold the domain \(name): give each domain's snapshot once")
                }
                seen[name.lowercased()] = path
                guard let readAt = Timestamp.parse(header.collectedAt) else {
                    throw .usage("\(path): collectedAt \"\(header.collectedAt)\" of \(name) is not an ISO 8601 UTC time; take the snapshot again with phs-check collect")
                }
                if let failure = header.unreachable, !allowPartial {
                    throw .directory("\(path): the domain \(name) could not be read when the snapshot was taken (\(failure)). Compare with --allow-partial to report it as a finding and judge the other domains, or collect again")
                }
                domains.append(DirectoryDomain(
                    name: name, namingContext: header.baseDN.isEmpty ? nil : header.baseDN,
                    source: "snapshot \(path) (\(header.server), collected \(header.collectedAt))",
                    readAt: header.unreachable == nil ? readAt : nil, failure: header.unreachable))
            }
        }
        return Self(users: users, domains: domains)
    }
}

/// Opens a snapshot file and reads it with `SnapshotReader`; errors name the file and line.
enum SnapshotFile {
    static func read(_ path: String, limits: InputLimits, onUser: (DirectoryUser) -> Void) throws(Failure) -> [Snapshot.Section] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .usage("--snapshot \(path): cannot open it; check the path (take one with phs-check collect --output FILE)")
        }
        defer { try? handle.close() }
        do {
            return try SnapshotReader.read(chunks: { try handle.read(upToCount: 1 << 20) }, limits: limits, onUser: onUser)
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
