import Foundation
import Testing

/// The command line itself, before any command runs.
@Suite struct CommandLineTests {
    @Test("A mistyped command gets the nearest one, exit 2", arguments: [
        ("chek", "check"), ("comapre", "compare"), ("colect", "collect"), ("export-clod", "export-cloud"), ("HISTORY", "history"),
    ])
    func didYouMean(_ typed: String, _ meant: String) throws {
        let result = try CommandRunner.phsCheck([typed, "--format", "json"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("'\(typed)' is not a command; did you mean '\(meant)'?"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("A word far from every command gets argument-parser's own message, exit 2")
    func noGuess() throws {
        let result = try CommandRunner.phsCheck(["frobnicate"])
        #expect(result.status == 2)
        #expect(!result.stderr.contains("did you mean"))
    }

    @Test("--version names the libldap it runs with")
    func version() throws {
        let result = try CommandRunner.phsCheck(["--version"])
        #expect(result.status == 0)
        #expect(result.output.hasPrefix("phs-check 0."), "\(result.output)")
        #expect(result.output.contains(" with libldap 2."), "\(result.output)")
        #expect(result.output.contains("OpenLDAP"), "\(result.output)")
    }

    @Test("Help says what to type: value names are values or kinds, the required options are in the usage line")
    func helpValueNames() throws {
        for command in ["check", "compare", "collect", "explain", "export-cloud", "history"] {
            let help = try CommandRunner.phsCheck([command, "--help"]).output
            for name in ["<fail-on>", "<page-size>", "<db>", "<format>", "<cloud>", "<filter>", "<mech>"] {
                #expect(!help.contains(name), "phs-check \(command) --help shows \(name)")
            }
        }
        let compare = try CommandRunner.phsCheck(["compare", "--help"]).output
        #expect(compare.contains("USAGE: phs-check compare --snapshot <file>"), "\(compare)")
        #expect(compare.contains("--fail-on <error|warning|new|never>"))
        let check = try CommandRunner.phsCheck(["check", "--help"]).output
        #expect(check.contains("USAGE: phs-check check --ldap-url <url>"), "\(check)")
        let explain = try CommandRunner.phsCheck(["explain", "--help"]).output
        #expect(explain.contains("--fail-on <error|warning|never>"))
    }

    @Test("Every error starts with phs-check: error:, from argument-parser, the config file or a command")
    func oneErrorPrefix() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("prefix-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "gracee: 2h\n".write(toFile: folder + "/c.yaml", atomically: true, encoding: .utf8)
        for arguments in [["compare", "--grace", "3"], ["compare", "--config", folder + "/c.yaml"],
                          ["compare", "--snapshot", folder + "/missing.jsonl", "--cloud", folder + "/missing.json"], ["chek"]] {
            let result = try CommandRunner.phsCheck(arguments)
            #expect(result.status == 2)
            #expect(result.stderr.hasPrefix("phs-check: error: "), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("Error: "), "\(arguments): \(result.stderr)")
        }
    }
}
