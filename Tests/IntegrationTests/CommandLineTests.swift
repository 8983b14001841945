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
        #expect(explain.contains("--fail-on <error|warning|new|never>"))
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

    @Test("--selective-phs takes exclude, include or off; another value names them, on the command line and in the config file")
    func selectivePHSValues() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("selective-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "grace: 2h\nselective-phs: maybe\n".write(toFile: folder + "/c.yaml", atomically: true, encoding: .utf8)
        for arguments in [["compare", "--selective-phs", "maybe"], ["compare", "--config", folder + "/c.yaml"]] {
            let result = try CommandRunner.phsCheck(arguments + ["--snapshot", folder + "/s.jsonl", "--cloud", folder + "/u.json"])
            #expect(result.status == 2)
            #expect(result.stderr.contains("'maybe' is invalid for '--selective-phs <exclude|include|off>'"), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let fromFile = try CommandRunner.phsCheck(["compare", "--config", folder + "/c.yaml", "--snapshot", folder + "/s.jsonl", "--cloud", folder + "/u.json"])
        #expect(fromFile.stderr.contains("--selective-phs is set in \(folder)/c.yaml line 2"))
    }

    @Test("Shell completion: bash completes enumerated values and file names; zsh and fish load their scripts")
    func completion() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("completion-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for shell in ["bash", "zsh", "fish"] {
            let script = try CommandRunner.phsCheck(["--generate-completion-script", shell])
            #expect(script.status == 0)
            try script.stdout.write(to: URL(fileURLWithPath: "\(folder)/phs-check.\(shell)"))
        }
        FileManager.default.createFile(atPath: folder + "/report.html", contents: Data())
        FileManager.default.createFile(atPath: folder + "/users.json", contents: Data())
        // What bash offers after `phs-check compare --sort ` and `phs-check compare --output rep`.
        let probe = """
            source phs-check.bash
            ask() { COMPREPLY=(); COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
                    _phs-check phs-check "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"; echo "${COMPREPLY[*]}"; }
            ask phs-check compare --sort ''
            ask phs-check compare --output rep
            ask phs-check check --fail-on ''
            ask phs-check compare --cloud us
            """
        let bash = try CommandRunner.run("/bin/bash", ["-c", "cd '\(folder)' && " + probe])
        let lines = bash.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(bash.status == 0, "\(bash.stderr)")
        #expect(lines.count >= 4, "\(bash.output)\(bash.stderr)")
        guard lines.count >= 4 else { return }
        #expect(lines[0] == "severity waited name code")
        #expect(lines[1] == "report.html")
        #expect(lines[2] == "error warning new never")
        #expect(lines[3] == "users.json")
        for (shell, check) in [("zsh", ["-n"]), ("fish", ["--no-execute"])] {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/" + shell) else {
                if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("\(shell) is not installed (scripts/install-deps.sh installs it)") }
                continue
            }
            let result = try CommandRunner.run("/usr/bin/" + shell, check + ["\(folder)/phs-check.\(shell)"])
            #expect(result.status == 0, "\(shell): \(result.stderr)")
        }
        let zsh = try String(contentsOfFile: folder + "/phs-check.zsh", encoding: .utf8)
        #expect(zsh.contains("'--output[") && zsh.contains("]:file:_files'"))
        let fish = try String(contentsOfFile: folder + "/phs-check.fish", encoding: .utf8)
        #expect(fish.contains("-l 'sort'") && fish.contains("'severity waited name code'"))
    }
}
