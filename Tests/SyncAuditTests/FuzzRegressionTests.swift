import Foundation
import SyncAudit
import Testing

/// Replays every input `FuzzSnapshot` kept (`Fuzz/Regressions/FuzzSnapshot/`, see
/// scripts/fuzz.sh) as the target reads it: the first byte's low six bits are the chunk size
/// less one, the rest is the snapshot. Read whole and in chunks it must end the same way —
/// the header or a `ReadError` that is not `.source` — hand over the same users, and every user
/// must survive `Snapshot.encode` → `decodeUser`.
@Suite("Fuzz regressions: snapshots")
struct SnapshotFuzzRegressionTests {
    static func inputs() -> [(name: String, bytes: [UInt8])] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions/FuzzSnapshot")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            Issue.record("no folder \(folder.path)")
            return []
        }
        return names.filter { !$0.hasPrefix(".") }.sorted().map { name in
            (name, Array(FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) ?? Data()))
        }
    }

    /// The users handed over and how the read ended, as text.
    static func read(_ text: [UInt8], chunk: Int) -> ([DirectoryUser], String) {
        var users: [DirectoryUser] = []
        var offset = 0
        do {
            let header = try SnapshotReader.read(chunks: {
                guard offset < text.count else { return nil }
                let n = min(chunk, text.count - offset)
                defer { offset += n }
                return Data(text[offset..<(offset + n)])
            }, onUser: { users.append($0) })
            return (users, "header \(header)")
        } catch {
            if case .source(let inner) = error { Issue.record("neither the chunks nor onUser throw, yet: \(inner)") }
            return (users, "\(error)")
        }
    }

    @Test func everyKeptInputReadsCleanly() throws {
        for (name, input) in Self.inputs() {
            let text = Array(input.dropFirst())
            let whole = Self.read(text, chunk: max(text.count, 1))
            let chunked = Self.read(text, chunk: Int((input.first ?? 0) & 63) + 1)
            #expect(whole.0 == chunked.0 && whole.1 == chunked.1, "\(name): \(chunked.1) in chunks, \(whole.1) whole")
            for user in whole.0 {
                let line = Snapshot.encode(user)
                let back = try Snapshot.decodeUser(line, line: 2)
                #expect(Snapshot.encode(back) == line, "\(name): \(String(decoding: line, as: UTF8.self))")
            }
        }
    }
}
