import ArgumentParser
import Foundation
import Testing
@testable import ConfigLoader

/// Replays every input `FuzzConfig` kept (`Fuzz/Regressions/FuzzConfig/`, see scripts/fuzz.sh)
/// as the target reads it: the first byte picks the command (`run`, `other`, the root), the
/// rest is the file. Each must give settings or a `ConfigError` that names the file.
@Suite("Fuzz regressions: --config files")
struct ConfigFuzzRegressionTests {
    static func inputs() -> [(name: String, bytes: [UInt8])] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions/FuzzConfig")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            Issue.record("no folder \(folder.path)")
            return []
        }
        return names.filter { !$0.hasPrefix(".") }.sorted().map { name in
            (name, Array(FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) ?? Data()))
        }
    }

    @Test func everyKeptInputReadsCleanly() throws {
        let catalog = try OptionCatalog(root: TestTool.self)
        let commands = [catalog.command(for: ["run"]).0, catalog.command(for: ["other"]).0, catalog.root]
        for (name, input) in Self.inputs() {
            let path = "fuzz/\(name)"
            guard var text = String(validating: input.dropFirst(), as: UTF8.self) else { continue }
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            let command = commands[Int(input.first ?? 0) % commands.count]
            do {
                let (settings, domains) = try ConfigFile.settings(yaml: text, path: path, catalog: catalog, command: command)
                if let domains {
                    _ = try ConfigFile.domainSections(domains.node, path: path, catalog: catalog, command: command, shared: [])
                }
                #expect(Set(settings.map(\.key)).count == settings.count, "\(name): a key set twice")
            } catch {
                #expect(error.message.hasPrefix(path), "\(name): \(error.message)")
            }
        }
    }
}
