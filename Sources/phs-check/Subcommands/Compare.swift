import ArgumentParser
import Foundation
import SyncAudit

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare a snapshot taken by `collect` with a cloud export, offline.",
        discussion: "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad usage or input."
    )

    @Option(name: .customLong("snapshot"), help: ArgumentHelp("A snapshot written by phs-check collect.", valueName: "file"))
    var snapshot: String

    @OptionGroup(title: "Cloud") var cloud: CloudOptions
    @OptionGroup(title: "Comparison") var comparison: ComparisonOptions
    @OptionGroup(title: "Report") var report: ReportOptions
    @OptionGroup var global: GlobalOptions

    func run() throws {
        _ = global.makeLogger()
        // With --history: opened first, and a run that fails from here on is recorded as failed.
        let recorder = try RunRecorder(report: report, global: global)
        try recorder.run {
            let (header, users) = try SnapshotFile.read(snapshot)
            let loaded = try cloud.load()
            let source = AuditReport.DirectorySource(
                source: "snapshot \(snapshot) (\(header.server), collected \(header.collectedAt))", baseDN: header.baseDN, users: users.count)
            let status = try Comparison.run(directory: users, source: source, cloud: loaded, comparison: comparison,
                                            report: report, global: global, recorder: recorder)
            if status != .clean { throw ExitCode(status.rawValue) }
        }
    }
}

/// Reads a snapshot file line by line; any bad line is an error naming the file and line.
enum SnapshotFile {
    static func read(_ path: String) throws(Failure) -> (Snapshot.Header, [DirectoryUser]) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .usage("--snapshot \(path): cannot open it; check the path (take one with phs-check collect --output FILE)")
        }
        defer { try? handle.close() }
        var header: Snapshot.Header?
        var users: [DirectoryUser] = []
        var number = 0
        var pending = Data()
        func take(_ line: Data) throws(Failure) {
            number += 1
            guard !line.isEmpty else { return }
            do {
                if header == nil {
                    header = try Snapshot.decodeHeader(line, line: number)
                } else {
                    users.append(try Snapshot.decodeUser(line, line: number))
                }
            } catch {
                throw .usage("\(path) \(error.description)")
            }
        }
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw .usage("\(path): cannot read it: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            pending.append(chunk)
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                try take(Data(pending[start..<newline]))
                start = newline + 1
            }
            pending = Data(pending[start...])
        }
        if !pending.isEmpty { try take(pending) }
        guard let header else {
            throw .usage("\(path) is empty: it is not a phs-check snapshot (take one with phs-check collect --output FILE)")
        }
        return (header, users)
    }
}
