import Foundation
import Testing

/// `--config FILE` (docs/COMMANDS.md, "Configuration file"): the built binary with hand-written YAML, a
/// one-user snapshot and a Graph export. No directory needed.
@Suite struct ConfigTests {
    /// A fresh directory holding a snapshot whose one user changed the password on
    /// 2023-12-31 and a cloud export that still has 2023-12-01, taken 2024-01-01: a day
    /// behind, so `password-not-synced` with the default grace of 1h and
    /// `password-sync-pending` with a grace of 2d.
    struct Workspace {
        let directory: URL

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("phs-check-config-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try write("snapshot.jsonl", """
                {"kind":"phs-check/ad-snapshot","version":2,"collectedAt":"2024-01-01T00:00:00Z","server":"x","baseDN":"DC=corp,DC=example"}
                {"distinguishedName":"CN=Alice,OU=Staff,DC=corp,DC=example","samAccountName":"alice","userPrincipalName":"alice@corp.example","objectGUID":"62a29e84-3449-496d-9418-ed9ad734d684","objectGUIDBase64":"hJ6iYkk0bUmUGO2a1zTWhA==","consistencyGuid":null,"objectSid":"S-1-5-21-1-2-3-1103","pwdLastSet":"2023-12-31T00:00:00Z","pwdLastSetRaw":null,"mustChangePassword":false,"userAccountControl":512,"flags":["NORMAL_ACCOUNT"],"enabled":true,"accountExpires":null,"lockedOut":false,"whenChanged":null,"uSNChanged":1,"adminDescription":null,"unicodePwdLastChanged":null}
                {"kind":"phs-check/ad-snapshot-end","users":1}

                """)
            try write("cloud.json", """
                {"value":[{"id":"6e0a2b1c-3f4d-4e5f-8a9b-0c1d2e3f4a5b","userPrincipalName":"alice@example.com","accountEnabled":true,\
                "lastPasswordChangeDateTime":"2023-12-01T00:00:00Z","onPremisesImmutableId":"hJ6iYkk0bUmUGO2a1zTWhA==",\
                "onPremisesSyncEnabled":true,"onPremisesLastSyncDateTime":"2024-01-01T00:00:00Z",\
                "onPremisesSecurityIdentifier":"S-1-5-21-1-2-3-1103","onPremisesUserPrincipalName":"alice@corp.example"}]}
                """)
        }

        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        @discardableResult
        func write(_ name: String, _ text: String) throws -> String {
            try Data(text.utf8).write(to: directory.appendingPathComponent(name))
            return path(name)
        }

        /// The paths the comparison needs, as YAML lines.
        var inputs: String { "snapshot: \(path("snapshot.jsonl"))\ncloud: \(path("cloud.json"))\n" }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    // MARK: - The command line wins

    @Test func configSuppliesOptionsAndTheCommandLineWins() throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let config = try ws.write("phs-check.yaml", ws.inputs + "format: csv\ngrace: 2d\nfail-on: warning\n")

        let fromFile = try CommandRunner.phsCheck(["compare", "--config", config])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(fromFile.output.contains("severity,code,scope"), "format: csv from the file")
        #expect(fromFile.output.contains("password-sync-pending"), "grace: 2d from the file")
        #expect(!fromFile.output.contains("password-not-synced"))

        let overridden = try CommandRunner.phsCheck(["compare", "--format", "json", "--config", config, "--grace=1h"])
        #expect(overridden.status == 1, "\(overridden.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: overridden.stdout) as? [String: Any],
                                  "--format json on the command line beats format: csv")
        let codes = (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes == ["password-not-synced"], "--grace=1h on the command line beats grace: 2d")
    }

    @Test func configAfterOtherOptionsAndInEqualsForm() throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let config = try ws.write("c.yaml", ws.inputs + "format: json\n")
        let result = try CommandRunner.phsCheck(["compare", "--fail-on", "never", "--config=\(config)"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.output.hasPrefix("{"))
    }

    @Test func repeatableOptionFromTheCommandLineReplacesTheFilesList() throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let config = try ws.write("c.yaml", "ldap-url:\n  - ftp://first.example\n  - ftp://second.example\n")

        let fromFile = try CommandRunner.phsCheck(["collect", "--config", config])
        #expect(fromFile.status == 2)
        #expect(fromFile.stderr.contains("--ldap-url ftp://first.example"), "\(fromFile.stderr)")
        #expect(fromFile.stderr.contains("--ldap-url is set in \(config) line 1"), "\(fromFile.stderr)")

        // The command line's URL replaces both of the file's: none of them reaches validation.
        let replaced = try CommandRunner.phsCheck(["collect", "--config", config, "--ldap-url", "ldaps://127.0.0.1:9"],
                                                  environment: ["PHS_CHECK_BIND_PASSWORD": ""])
        #expect(replaced.status == 2)
        #expect(!replaced.stderr.contains("ftp://"), "\(replaced.stderr)")
        #expect(replaced.stderr.contains("say how to bind"), "\(replaced.stderr)")
    }

    @Test func switchesAreSetWhenTrue() throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let ca = try ws.write("ca.pem", "")
        let on = try ws.write("on.yaml", "ldap-url: ldaps://127.0.0.1:9\ninsecure-skip-tls-verify: true\n")
        let result = try CommandRunner.phsCheck(["collect", "--config", on, "--ca-file", ca])
        #expect(result.status == 2)
        #expect(result.stderr.contains("contradict"), "\(result.stderr)")
        #expect(result.stderr.contains("--insecure-skip-tls-verify is set in \(on) line 2"), "\(result.stderr)")
        #expect(!result.stderr.contains("--ca-file is set in"), "--ca-file came from the command line")

        let off = try ws.write("off.yaml", "ldap-url: ldaps://127.0.0.1:9\ninsecure-skip-tls-verify: false\n")
        let quiet = try CommandRunner.phsCheck(["collect", "--config", off, "--ca-file", ca])
        #expect(!quiet.stderr.contains("contradict"), "\(quiet.stderr)")
    }

    // MARK: - One file for every command

    @Test func keysOfOtherCommandsAreSkipped() throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let config = try ws.write("all.yaml", ws.inputs + """
            ldap-url: [ldaps://dc1.corp.example, ldaps://dc2.corp.example]
            starttls: true
            bind-dn: svc@corp.example
            search-base:
              - OU=Staff,DC=corp,DC=example
            page-size: 200
            format: json
            fail-on: never
            tenant:
            as-of: ~

            """)
        // compare takes no directory option: they are skipped.
        let compare = try CommandRunner.phsCheck(["compare", "--config", config])
        #expect(compare.status == 0, "\(compare.stderr)")
        #expect(compare.output.hasPrefix("{"), "\(compare.output)")

        // collect takes no cloud, snapshot, format or fail-on option: skipped too; it gets as
        // far as the bind, which the file does not give.
        let collect = try CommandRunner.phsCheck(["collect", "--config", config],
                                                 environment: ["PHS_CHECK_BIND_PASSWORD": ""])
        #expect(collect.status == 2)
        #expect(collect.stderr.contains("needs a password"), "\(collect.stderr)")
    }

    @Test func valueAnotherCommandTakesIsSkippedAndOneNoneTakesIsRefused() throws {
        let ws = try Workspace()
        defer { ws.remove() }
        // history lists runs as table or json: the file's csv is compare's, not history's.
        let shared = try ws.write("shared.yaml", "format: csv\nhistory: \(ws.path("missing.sqlite"))\n")
        let history = try CommandRunner.phsCheck(["history", "--config", shared])
        #expect(history.status == 2)
        #expect(history.stderr.contains("--history"), "\(history.stderr)")
        #expect(!history.stderr.contains("--format"), "\(history.stderr)")

        let wrong = try ws.write("wrong.yaml", ws.inputs + "format: xml\n")
        let compare = try CommandRunner.phsCheck(["compare", "--config", wrong])
        #expect(compare.status == 2)
        #expect(compare.stderr.contains("'xml'"), "\(compare.stderr)")
        #expect(compare.stderr.contains("--format is set in \(wrong) line 3"), "\(compare.stderr)")
    }

    // MARK: - Mistakes name the file, the line and the key

    @Test func unknownKeyNamesFileLineAndSuggestion() throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let config = try ws.write("typo.yaml", ws.inputs + "# how long PHS may take\ngrase: 2h\n")
        let result = try CommandRunner.phsCheck(["compare", "--config", config])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(config):4:"), "\(result.stderr)")
        #expect(result.stderr.contains("unknown key grase"), "\(result.stderr)")
        #expect(result.stderr.contains("did you mean grace?"), "\(result.stderr)")
        #expect(result.output.isEmpty)
    }

    @Test(arguments: [("ldapUrl", "ldap-url"), ("search_base", "search-base"), ("--fail-on", "fail-on"),
                      ("serach-base", "search-base"), ("ldapurl", "ldap-url"), ("maxskew", "max-skew")])
    func suggestionsForNearKeys(key: String, suggested: String) throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let config = try ws.write("near.yaml", "\(key): x\n")
        let result = try CommandRunner.phsCheck(["collect", "--config", config])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(config):1: unknown key \(key)"), "\(result.stderr)")
        #expect(result.stderr.contains("did you mean \(suggested)?"), "\(result.stderr)")
    }

    @Test func keyFarFromAnyOptionHasNoSuggestion() throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let config = try ws.write("far.yaml", "directory:\n  ldap-url: ldaps://dc1\n")
        let result = try CommandRunner.phsCheck(["collect", "--config", config])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(config):1: unknown key directory"), "\(result.stderr)")
        #expect(!result.stderr.contains("did you mean"))
    }

    @Test func yamlSyntaxErrorNamesTheLine() throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let config = try ws.write("broken.yaml", ws.inputs + "search-base: [OU=Staff,DC=corp\nformat: json\n")
        let result = try CommandRunner.phsCheck(["compare", "--config", config])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(config):4:"), "\(result.stderr)")
        #expect(result.stderr.contains("not valid YAML"), "\(result.stderr)")

        let tab = try ws.write("tab.yaml", "grace: 2h\n\tformat: json\n")
        let tabbed = try CommandRunner.phsCheck(["compare", "--config", tab])
        #expect(tabbed.status == 2)
        #expect(tabbed.stderr.contains("\(tab):2:"), "\(tabbed.stderr)")
    }

    @Test(arguments: [
        ("grace:\n  value: 2h\n", 2, "grace takes one value, not `name: value` pairs"),
        ("grace: [1h, 2h]\n", 1, "grace takes one value, not a list"),
        ("format: json\nsearch-base:\n  - [OU=A]\n", 3, "search-base: each item of the list must be one value"),
        ("starttls: maybe\n", 1, "starttls is a switch"),
        ("- grace: 2h\n", 1, "expected option names and values"),
        ("grace: 1h\nformat: csv\ngrace: 2h\n", 1, "grace is set twice"),
        ("grace: 1h\n---\ngrace: 2h\n", 2, "a config file is one YAML document"),
    ])
    func valuesOfTheWrongShape(yaml: String, line: Int, message: String) throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let config = try ws.write("shape.yaml", yaml)
        let result = try CommandRunner.phsCheck(["compare", "--config", config])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(config):\(line)"), "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test(arguments: ["bind-password", "password", "ldap_password", "bindPw"])
    func passwordKeysAreRefusedWithoutEchoingTheValue(key: String) throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let config = try ws.write("secret.yaml", "bind-dn: svc@corp.example\n\(key): \"hunter2: never shown\"\n")
        let result = try CommandRunner.phsCheck(["collect", "--config", config])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(config):2: \(key)"), "\(result.stderr)")
        #expect(result.stderr.contains("use bind-password-file") || result.stderr.contains("Use bind-password-file"), "\(result.stderr)")
        #expect(result.stderr.contains("PHS_CHECK_BIND_PASSWORD"))
        #expect(!result.stderr.contains("hunter2"))
    }

    @Test func syntaxErrorsDoNotQuoteTheFile() throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let config = try ws.write("quote.yaml", "bind-dn: svc@corp.example\nbind-password-file: \"hunter2\n")
        let result = try CommandRunner.phsCheck(["collect", "--config", config])
        #expect(result.status == 2)
        #expect(result.stderr.contains("not valid YAML"), "\(result.stderr)")
        #expect(!result.stderr.contains("hunter2"), "\(result.stderr)")
    }

    @Test func badValueFromTheFileSaysWhereItWasWritten() throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let config = try ws.write("value.yaml", ws.inputs + "grace: 2x\n")
        let result = try CommandRunner.phsCheck(["compare", "--config", config])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--grace 2x"), "\(result.stderr)")
        #expect(result.stderr.contains("--grace is set in \(config) line 3"), "\(result.stderr)")
        #expect(!result.stderr.contains("--snapshot is set in"), "only the options the error names")
    }

    @Test func missingOrUnreadableConfig() throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let missing = try CommandRunner.phsCheck(["compare", "--config", ws.path("nope.yaml")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--config \(ws.path("nope.yaml")): cannot read it"), "\(missing.stderr)")

        let directory = try CommandRunner.phsCheck(["compare", "--config", ws.directory.path])
        #expect(directory.status == 2)
        #expect(directory.stderr.contains("is a directory"), "\(directory.stderr)")

        let nested = try ws.write("nested.yaml", "config: other.yaml\n")
        let again = try CommandRunner.phsCheck(["compare", "--config", nested])
        #expect(again.status == 2)
        #expect(again.stderr.contains("\(nested):1: config"), "\(again.stderr)")
    }

    @Test func emptyConfigSetsNothing() throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let config = try ws.write("empty.yaml", "# nothing yet\n")
        let result = try CommandRunner.phsCheck(["compare", "--config", config, "--snapshot", ws.path("snapshot.jsonl"),
                                                 "--cloud", ws.path("cloud.json"), "--fail-on", "never"])
        #expect(result.status == 0, "\(result.stderr)")
    }

    // MARK: - The example file cannot drift

    /// The config keys of each command, from argument-parser's own description of the options.
    static func optionsByCommand() throws -> [String: Set<String>] {
        let dump = try CommandRunner.phsCheck(["--experimental-dump-help"])
        let info = try #require(try JSONSerialization.jsonObject(with: dump.stdout) as? [String: Any])
        let root = try #require(info["command"] as? [String: Any])
        var result: [String: Set<String>] = [:]
        for command in root["subcommands"] as? [[String: Any]] ?? [] {
            guard let name = command["commandName"] as? String, name != "help" else { continue }
            var keys: Set<String> = []
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                guard argument["kind"] as? String != "positional", argument["shouldDisplay"] as? Bool ?? true else { continue }
                for entry in argument["names"] as? [[String: Any]] ?? [] where entry["kind"] as? String == "long" {
                    if let long = entry["name"] as? String { keys.insert(long) }
                }
            }
            result[name] = keys.subtracting(["help", "version", "config"])
        }
        return result
    }

    static let examplePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Config/phs-check.example.yaml").path

    /// The example's keys: `key:` lines and `#key:` lines (commented-out examples).
    static func exampleKeys() throws -> [String] {
        let text = try String(contentsOfFile: examplePath, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> String? in
            let body = line.hasPrefix("#") ? line.dropFirst() : line[...]
            guard let first = body.first, first.isLetter, first.isLowercase, let colon = body.firstIndex(of: ":") else { return nil }
            return String(body[..<colon])
        }
    }

    @Test func exampleDocumentsEveryOptionAndNothingElse() throws {
        let byCommand = try Self.optionsByCommand()
        #expect(Set(byCommand.keys).isSuperset(of: ["check", "collect", "compare", "explain"]))
        // `domains` is the file's own key: a list of domains, each with directory options.
        let options = byCommand.values.reduce(into: Set<String>()) { $0.formUnion($1) }.union(["domains"])
        let documented = try Self.exampleKeys()
        for key in options.subtracting(documented).sorted() {
            let commands = byCommand.filter { $0.value.contains(key) }.keys.sorted().joined(separator: ", ")
            Issue.record("--\(key) (\(commands)) is missing from Config/phs-check.example.yaml: add \"#\(key): ...\" with a comment saying what it is and its default")
        }
        for key in Set(documented).subtracting(options).sorted() {
            Issue.record("Config/phs-check.example.yaml documents \(key), which no command takes")
        }
        let repeated = Dictionary(grouping: documented) { $0 }.filter { $0.value.count > 1 }.keys.sorted()
        #expect(repeated.isEmpty, "documented twice: \(repeated)")
    }

    /// The example with its settings uncommented: "#key: value" and the "#  - item" lines of a
    /// commented-out list. `domains` chooses between the one domain of the directory options and
    /// the `domains:` block (whose entries name their own `ldap-url`, `base-dn`, `search-base`
    /// and `filter`).
    static func uncommentedExample(domains: Bool) throws -> String {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let ownKeys: Set<Substring> = ["ldap-url", "base-dn", "search-base", "filter"]
        var inBlock = false
        var key: Substring = ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            if line.hasPrefix("#domains:") { inBlock = true }
            if line.isEmpty { inBlock = false }
            let body = line.dropFirst()
            if inBlock { return domains ? body : line }
            let isItem = body.hasPrefix("  - ")
            let isSetting = line.hasPrefix("#") && (body.first.map { $0.isLetter } ?? false || isItem)
            if isSetting, !isItem { key = body.prefix { $0 != ":" } }
            if domains, isSetting, ownKeys.contains(key) { return line }
            return isSetting ? body : line
        }.joined(separator: "\n")
    }

    @Test(arguments: [false, true])
    func uncommentedExampleIsAValidConfigForEveryCommand(domains: Bool) throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let config = try ws.write("example.yaml", Self.uncommentedExample(domains: domains))
        for command in try Self.optionsByCommand().keys.sorted() {
            let result = try CommandRunner.phsCheck([command, "--config", config, "--help"])
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(result.stderr.isEmpty, "\(command): \(result.stderr)")
        }
    }
}
