import ArgumentParser
import Foundation
import Testing
@testable import ConfigLoader

@Suite("--config YAML files")
struct ConfigFileTests {
    /// Writes `text` to a fresh file and expands `arguments` with `--config` naming it.
    func expand(_ text: String, _ arguments: [String] = []) throws(ConfigError) -> (ConfigFile.Expansion, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString).yaml").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return (try ConfigFile.expand(["run"] + arguments + ["--config", path], root: TestTool.self), path)
    }

    @Test func scalarsListsAndSwitchesBecomeArguments() throws {
        let (expansion, _) = try expand("ldap-url:\n  - ldaps://dc1\n  - ldaps://dc2\ngrace: 2h\nstarttls: true\n")
        #expect(expansion.arguments.prefix(6) == ["run", "--ldap-url=ldaps://dc1", "--ldap-url=ldaps://dc2", "--grace=2h", "--starttls", "--config"])
        #expect(expansion.applied.map(\.line) == [1, 4, 5])
    }

    @Test func theCommandLineWins() throws {
        let (expansion, _) = try expand("grace: 2h\nldap-url: ldaps://file\n", ["--grace", "3h"])
        #expect(!expansion.arguments.contains("--grace=2h"))
        #expect(expansion.arguments.contains("--ldap-url=ldaps://file"))
        #expect(expansion.arguments.contains("3h"))
    }

    @Test func falseSwitchesAndEmptyValuesSetNothing() throws {
        let (expansion, _) = try expand("starttls: false\ngrace:\n")
        #expect(expansion.applied.flatMap(\.arguments).isEmpty)
    }

    @Test func aKeyOfAnotherCommandIsSkipped() throws {
        let (expansion, _) = try expand("history: /var/lib/h.sqlite\ngrace: 2h\n")
        #expect(expansion.applied.map(\.key) == ["grace"])
    }

    @Test func anUnknownKeyNamesFileLineAndSuggestion() throws {
        let error = #expect(throws: ConfigError.self) { try expand("grace: 2h\nldap-ulr: ldaps://dc1\n") }
        let message = try #require(error?.message)
        #expect(message.contains(":2: "))
        #expect(message.contains("ldap-ulr"))
        #expect(message.contains("ldap-url"))
    }

    @Test func aListForASingleValueIsRefused() throws {
        let error = #expect(throws: ConfigError.self) { try expand("grace:\n  - 1h\n  - 2h\n") }
        #expect(error?.message.contains("grace takes one value, not a list") == true)
    }

    @Test func aSwitchNeedsABoolean() throws {
        let error = #expect(throws: ConfigError.self) { try expand("starttls: maybe\n") }
        #expect(error?.message.contains("starttls is a switch") == true)
    }

    @Test func aKeySetTwiceIsRefused() throws {
        let error = #expect(throws: ConfigError.self) { try expand("grace: 1h\ngrace: 2h\n") }
        #expect(error?.message.contains("grace") == true)
        #expect(error?.message.contains("twice") == true)
    }

    @Test func aValueIsNeverQuoted() throws {
        // A password pasted into the file by mistake must not reach a terminal or a log.
        let secret = "Hunter2-NotForLogs"
        for text in ["bind-password: \(secret)\n", "starttls: \(secret)\n", "grace: [\(secret)\n", "grace:\n  - \(secret)\n  - x\n"] {
            let error = #expect(throws: ConfigError.self) { try expand(text) }
            #expect(error?.message.contains(secret) == false, "\(text)")
        }
    }

    @Test("A value that starts with a combining mark is refused, not merged with the =")
    func combiningMark() throws {
        let error = #expect(throws: ConfigError.self) { try expand("grace: \"\u{0483}2h\"\n") }
        #expect(error?.message.contains("starts with a combining mark") == true)
        #expect(error?.message.contains("\u{0483}") == false)
    }

    @Test func yamlSyntaxErrorsNameTheLine() throws {
        let error = #expect(throws: ConfigError.self) { try expand("grace: 2h\nldap-url: [ldaps://dc1\n") }
        let message = try #require(error?.message)
        #expect(message.contains("not valid YAML") || message.contains(":3"))
    }

    @Test func aMissingFileIsNamed() throws {
        let error = #expect(throws: ConfigError.self) {
            try ConfigFile.expand(["run", "--config", "/nonexistent/phs.yaml"], root: TestTool.self)
        }
        #expect(error?.message == "--config /nonexistent/phs.yaml: cannot read it; check the path and its permissions")
    }

    @Test func annotateNamesTheLineOfAnOptionTheMessageMentions() throws {
        let (expansion, path) = try expand("grace: 2x\n")
        let note = expansion.annotate("Error: --grace 2x: write a duration\nUsage: tool run")
        #expect(note == "Error: --grace 2x: write a duration\nphs-check: note: --grace is set in \(path) line 1\nUsage: tool run")
    }
}
