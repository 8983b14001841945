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
}
