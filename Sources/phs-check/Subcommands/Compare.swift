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
                                            global: global, recorder: recorder)
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
        var lines = LineSplitter()
        var header: Snapshot.Header?
        var users: [DirectoryUser] = []
        do {
            while true {
                let chunk: Data
                do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                    throw Failure.usage("\(path): cannot read it: \(error.localizedDescription)")
                }
                let atEnd = chunk.isEmpty
                try lines.feed(chunk, atEnd: atEnd) { line, number throws(Snapshot.LineError) in
                    if header == nil {
                        header = try Snapshot.decodeHeader(line, line: number)
                    } else {
                        users.append(try Snapshot.decodeUser(line, line: number))
                    }
                }
                if atEnd { break }
            }
        } catch let error as Snapshot.LineError {
            throw .usage("\(path) \(error.description)")
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .usage("\(path): \(error)")
        }
        guard let header else {
            throw .usage("\(path) is empty: it is not a phs-check snapshot (take one with phs-check collect --output FILE)")
        }
        return (header, users)
    }
}

/// Splits a byte stream into lines (LF, with an optional CR before it), numbering them from 1;
/// empty lines are counted but not handed over.
struct LineSplitter {
    private var pending: [UInt8] = []
    private var number = 0

    mutating func feed(_ chunk: Data, atEnd: Bool, _ body: (Data, Int) throws(Snapshot.LineError) -> Void) throws(Snapshot.LineError) {
        pending.append(contentsOf: chunk)
        var start = 0
        let count = pending.count
        while start < count {
            let newline: Int? = pending.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress, let hit = memchr(base + start, 0x0A, count - start) else { return nil }
                return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            guard let end = newline ?? (atEnd ? count : nil) else { break }
            number += 1
            var stop = end
            if stop > start, pending[stop - 1] == 0x0D { stop -= 1 }
            if stop > start { try body(Data(pending[start..<stop]), number) }
            start = end + 1
        }
        pending.removeFirst(min(start, count))
    }
}
