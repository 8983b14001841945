import ArgumentParser
import ConfigLoader
import LDAPClient
import Foundation
import Reports

@main
struct PHSCheck: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "phs-check",
        abstract: "Find the users whose on-premises password changes never reached Entra ID.",
        discussion: """
            phs-check reads users from an Active Directory domain controller over LDAP, reads a \
            cloud export of the same users, joins them on the sync anchor and reports every user \
            whose password change never reached Entra ID through password hash sync.

            Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad usage, configuration or \
            input, 3 directory or Microsoft Graph unreachable, or the bind or the app's credential refused.
            """,
        version: "phs-check \(version) with \(LDAPLibrary.description)",
        subcommands: [Check.self, Compare.self, Explain.self, Collect.self, ExportCloud.self, ProbeCommand.self, History.self]
    )

    /// Runs the command and turns every failure into a message on standard error and the
    /// exit code of docs/COMMANDS.md: usage errors exit 2 (argument-parser's default is 64).
    /// A `--config FILE` is read first and its options join the command line's (ConfigFile).
    static func main() {
        Interruption.install()
        let expansion: ConfigFile.Expansion
        do {
            expansion = try ConfigFile.expand(Array(CommandLine.arguments.dropFirst()), root: Self.self)
        } catch {
            printError(errorLine(error.message))
            Foundation.exit(ExitStatus.usage.rawValue)
        }
        let command: any ParsableCommand
        do {
            command = try parseAsRoot(expansion.arguments)
        } catch {
            if let word = expansion.arguments.first, let nearest = nearestCommand(to: word) {
                printError(errorLine("'\(word)' is not a command; did you mean '\(nearest)'? (phs-check --help lists them)"))
                Foundation.exit(ExitStatus.usage.rawValue)
            }
            let code = exitCode(for: error)
            if code == .validationFailure {
                printError(expansion.annotate(errorLine(fullMessage(for: error))))
                Foundation.exit(ExitStatus.usage.rawValue)
            }
            exit(withError: error)
        }
        ConfigDomains.path = expansion.path
        ConfigDomains.sections = expansion.domains
        do {
            var command = command
            try command.run()
        } catch let failure as Failure {
            printError(expansion.annotate(errorLine(failure.message)))
            Foundation.exit(failure.status.rawValue)
        } catch {
            exit(withError: error)
        }
    }

    /// The command `word` was probably meant to be (`chek` → `check`), when it is not a command
    /// or an option itself: the config file's rule for a mistyped key.
    static func nearestCommand(to word: String) -> String? {
        let names = configuration.subcommands.map { $0._commandName } + ["help"]
        guard !word.hasPrefix("-"), !names.contains(word) else { return nil }
        return ConfigFile.suggestion(for: word, among: names)
    }

    /// Every error phs-check prints starts the same way, `phs-check: error: `, whether it comes
    /// from argument-parser (which writes `Error: `), the config file or a command.
    static func errorLine(_ message: String) -> String {
        let text = message.hasPrefix("Error: ") ? String(message.dropFirst("Error: ".count)) : message
        return "phs-check: error: " + text
    }

    /// A message on standard error. It may quote the directory, an export or a server (a DN, a
    /// value, a diagnostic): made safe for a terminal first, keeping its line ends.
    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((terminalSafe(message, keepingNewlines: true) + "\n").utf8))
    }
}
