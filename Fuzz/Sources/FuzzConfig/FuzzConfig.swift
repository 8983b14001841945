// Fuzzes the `--config` YAML loader: the text → settings path of `ConfigFile.read` (UTF-8
// check, BOM, `ConfigFile.settings(yaml:path:catalog:command:)`), against a small command tree
// shaped like phs-check's.
//
// Input: a selector byte (which command runs: `run`, `other`, or the root), then the file.
// Invariants: settings or a `ConfigError` that starts with the path; a setting is an option the
// command takes, once, as `--key` / `--key=value` arguments; and an error never quotes a value
// of the file (a password pasted there must not reach a log).
// Tests/ConfigLoaderTests/FuzzRegressionTests.swift replays Fuzz/Regressions/FuzzConfig the same way.
import ArgumentParser
import Foundation
import FuzzSupport
import Yams
@testable import ConfigLoader

/// The command tree the keys come from: repeatable options, a switch with an inversion, a
/// counted flag, an option with listed values, short names, and an option of one command only.
struct Tool: ParsableCommand {
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

let catalog: OptionCatalog = {
    do { return try OptionCatalog(root: Tool.self) } catch { fatalError("the command tree: \(error)") }
}()
let commands: [OptionCatalog.Command] = [catalog.command(for: ["run"]).0, catalog.command(for: ["other"]).0, catalog.root]
let path = "fuzz/config.yaml"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let (selector, bytes) = selector(bytes(data, size))
    // As `ConfigFile.read` does: UTF-8 only (else it refuses before any YAML), BOM dropped.
    guard var text = String(validating: bytes, as: UTF8.self) else { return 0 }
    if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
    let command = commands[Int(selector) % commands.count]
    do {
        let (settings, domains) = try ConfigFile.settings(yaml: text, path: path, catalog: catalog, command: command)
        if let domains {
            // Each domain is named once, whatever case.
            let sections = try ConfigFile.domainSections(domains.node, path: path, catalog: catalog, command: command, shared: [])
            invariant(Set(sections.map { $0.name.lowercased() }).count == sections.count, "a domain named twice")
        }
        var keys: Set<String> = []
        for setting in settings {
            invariant(keys.insert(setting.key).inserted, "\(setting.key) set twice")
            invariant(setting.line >= 1, "\(setting.key) on line \(setting.line)")
            guard let entry = command.entry(long: setting.key) else {
                fatalError("invariant broken: \(setting.key) is not an option of \(command.names)")
            }
            for argument in setting.arguments {
                // Compared as bytes: a value that starts with a combining mark joins the `=` into
                // one Character, which argument-parser (splitting at the Character "=") does not
                // split at; that is reported, not checked here (Regressions/FuzzConfig/crash-5b7d…).
                let names = entry.longNames.map { "--" + $0 } + ["--no-" + setting.key]
                invariant(names.contains { argument == $0 || argument.utf8.starts(with: ($0 + "=").utf8) },
                          "\(setting.key) gives the argument \(argument)")
                invariant(entry.isFlag == !argument.utf8.contains(UInt8(ascii: "=")), "\(setting.key) (flag: \(entry.isFlag)) gives \(argument)")
            }
        }
    } catch {
        invariant(error.message.hasPrefix(path) || error.message.hasPrefix("--config \(path)"),
                  "the error does not start with the file: \(error.message)")
        checkQuotesNoValue(text, error.message)
    }
    return 0
}

/// A value of the file (not a key: keys are named on purpose) must not appear in a message.
/// Only values that cannot come from the message's own words are looked for: at least six
/// characters with a letter and a digit, not part of any key or of the path.
func checkQuotesNoValue(_ text: String, _ message: String) {
    guard let root = try? Yams.compose(yaml: text) else { return }  // a syntax error quotes no value either, but libyaml's words are its own
    var keys: [String] = []
    var values: [String] = []
    func walk(_ node: Node, isKey: Bool) {
        switch node {
        case .scalar(let s): if isKey { keys.append(s.string) } else { values.append(s.string) }
        case .mapping(let m):
            for (k, v) in m { walk(k, isKey: true); walk(v, isKey: false) }
        case .sequence(let s):
            for item in s { walk(item, isKey: isKey) }
        case .alias:
            break
        }
    }
    walk(root, isKey: false)
    for value in values where value.count >= 6
        && value.contains(where: \.isNumber) && value.contains(where: \.isLetter)
        && !path.contains(value) && !keys.contains(where: { $0.contains(value) }) {
        invariant(!message.contains(value), "the message quotes a value of the file (\(value)): \(message)")
    }
}

@_cdecl("FuzzConfig_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzerMain(argc, argv, fuzz)
}
