import ArgumentParser

/// A small command tree shaped like phs-check's, for the `--config` tests: repeatable options,
/// a switch with an inversion, a counted flag, an option with listed values, short names, and
/// an option of one command only. It is the tree of Fuzz/Sources/FuzzConfig/FuzzConfig.swift
/// (its `Tool`), so that the fuzz regressions replay as the target read them: keep the two in step.
struct TestTool: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tool", subcommands: [Run.self, Other.self])

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }
    enum Listing: String, ExpressibleByArgument, CaseIterable { case table, json }

    struct Run: ParsableCommand {
        @Option(name: [.customLong("ldap-url"), .customShort("H")]) var ldapURLs: [String] = []
        @Option(name: .customLong("grace")) var grace: String = "1h"
        @Option(name: .customLong("bind-password-file")) var passwordFile: String?
        @Option(name: .customLong("format")) var format: Format = .table
        @Flag(name: .customLong("starttls")) var startTLS = false
        @Flag(inversion: .prefixedNo) var verify = true
        @Flag(name: .shortAndLong) var verbose: Int
        @Option(name: .customLong("config")) var config: String?
    }

    struct Other: ParsableCommand {
        @Option(name: .customLong("history")) var history: String?
        @Option(name: .customLong("format")) var format: Listing = .table
        @Option(name: .customLong("config")) var config: String?
    }
}
