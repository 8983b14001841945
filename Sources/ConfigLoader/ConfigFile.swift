public import ArgumentParser
import Foundation
import Yams

/// A config file that cannot be used, with the sentence that names the file, line and fix.
/// It never quotes a value from the file (a password pasted there must not reach a log).
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    init(_ message: String) { self.message = message }
}

/// `--config FILE`: a YAML file of option values, turned into command-line arguments before
/// parsing (docs/COMMANDS.md "Configuration file": any option can live there, the command line wins).
///
/// Keys are the long option names without dashes (`ldap-url`, `grace`, `fail-on`). A scalar
/// becomes `--key=value`, a list becomes `--key=v1 --key=v2` (repeatable options only), a
/// switch becomes `--key` when true and nothing when false; an empty value (`key:`, `~`,
/// `null`) sets nothing. An option the command line gives is taken from the command line
/// only: for a repeatable option the command line's values replace the file's.
///
/// The keys are not listed here: they come from argument-parser's own description of every
/// command (`--experimental-dump-help`), so a new option is a config key the moment it exists.
/// A key that some other command takes is skipped, so one file serves every command; a key
/// that no command takes is an error naming the file, line and key.
///
/// No message ever quotes a value from the file, nor a line of it: a password pasted there
/// by mistake must not reach a terminal or a log.
public struct ConfigFile {
    /// One option the file set and the command line did not.
    public struct Setting: Equatable, Sendable {
        public var key: String
        public var line: Int
        public var arguments: [String]
    }

    /// One entry of the file's `domains:` list: a domain read in the same run as the others,
    /// with the directory options that reach it (its own, over the file's top-level ones).
    public struct DomainSection: Equatable, Sendable {
        public var name: String
        public var line: Int
        /// `--key=value` arguments of the directory options (`DomainSection.keys`).
        public var arguments: [String]
    }

    /// The arguments to parse, and the file they came from.
    public struct Expansion {
        public var arguments: [String]
        public var path: String?
        public var applied: [Setting] = []
        /// The file's `domains:`, in order; empty when it has none.
        public var domains: [DomainSection] = []

        /// `message` with a line per option it names that came from the file, so that an error
        /// about `--grace 2x` says where `2x` was written. argument-parser's usage lines, which
        /// name options too, stay last.
        public func annotate(_ message: String) -> String {
            let (text, usage) = message.range(of: "\nUsage:").map {
                (String(message[..<$0.lowerBound]), String(message[$0.lowerBound...]))
            } ?? (message, "")
            guard let path else { return message }
            var seen: Set<String> = []
            var notes = ""
            for setting in applied where !seen.contains(setting.key) && Self.mentions(text, option: setting.key) {
                seen.insert(setting.key)
                notes += "\nphs-check: note: --\(setting.key) is set in \(path) line \(setting.line)"
            }
            return text + notes + usage
        }

        /// Whether `message` names `--option` itself (not `--option-longer`).
        static func mentions(_ message: String, option: String) -> Bool {
            let needle = "--" + option
            var rest = message[...]
            while let range = rest.range(of: needle) {
                let next = rest[range.upperBound...].first
                if next.map({ !($0.isLetter || $0.isNumber || $0 == "-") }) ?? true { return true }
                rest = rest[range.upperBound...]
            }
            return false
        }
    }

    /// The largest config file read.
    static let maxSize = 1 << 20

    /// Keys that are options of every command but mean nothing in a file.
    static let reservedKeys: Set<String> = ["help", "version", "config", "experimental-dump-help"]

    /// `arguments` (without the program name) with the options of the `--config` file they
    /// name inserted after the subcommand's name. Without `--config`, or when the command
    /// takes no `--config`, `arguments` come back unchanged for the parser to judge.
    public static func expand(_ arguments: [String], root: any ParsableCommand.Type) throws(ConfigError) -> Expansion {
        guard arguments.contains(where: { $0 == "--config" || $0.hasPrefix("--config=") }) else {
            return Expansion(arguments: arguments)
        }
        let catalog = try OptionCatalog(root: root)
        let (command, start) = catalog.command(for: arguments)
        guard command.entry(long: "config") != nil else { return Expansion(arguments: arguments) }

        // What the command line says: the file's path, and which options it sets itself.
        var path: String?
        var given: Set<String> = []
        var index = start
        while index < arguments.count {
            let token = arguments[index]
            index += 1
            if token == "--" { break }
            if token == "--config" {
                guard index < arguments.count else { return Expansion(arguments: arguments) }  // the parser says what is missing
                path = arguments[index]
                index += 1
            } else if token.hasPrefix("--config=") {
                path = String(token.dropFirst("--config=".count))
            } else if token.hasPrefix("--") {
                let name = token.dropFirst(2).prefix { $0 != "=" }
                if let entry = command.entry(long: String(name)) { given.insert(entry.key) }
            } else if token.hasPrefix("-"), token.count > 1 {
                for letter in token.dropFirst() {
                    guard let entry = command.entry(short: letter) else { break }
                    given.insert(entry.key)
                    if !entry.isFlag { break }
                }
            }
        }
        guard let path else { return Expansion(arguments: arguments) }
        guard !path.isEmpty else { throw ConfigError("--config: name a YAML file, e.g. --config /etc/phs-check.yaml") }

        let (settings, domainNode) = try read(path: path, catalog: catalog, command: command)
        var applied = settings.filter { !given.contains($0.key) }
        var domains: [DomainSection] = []
        if let domainNode {
            let onCommandLine = given.filter { DomainSection.keys.contains($0) }.sorted()
            if let key = onCommandLine.first {
                throw ConfigError("--\(key) is given on the command line, but \(path) line \(domainNode.line) lists domains, each with its own DCs and bind: set \(key) in the file (at the top level for every domain, or in a domain's entry), or run without --config")
            }
            // The file's top-level directory options are every domain's, unless it sets its own.
            let shared = applied.filter { DomainSection.keys.contains($0.key) }
            if let single = shared.first(where: { DomainSection.ownKeys.contains($0.key) }) {
                throw ConfigError("\(path):\(single.line): \(single.key) names one domain's place, but the file lists domains (line \(domainNode.line)): move it into the domain entries")
            }
            applied.removeAll { DomainSection.keys.contains($0.key) }
            domains = try domainSections(domainNode.node, path: path, catalog: catalog, command: command, shared: shared)
        }
        let merged = Array(arguments[..<start]) + applied.flatMap(\.arguments) + Array(arguments[start...])
        return Expansion(arguments: merged, path: path, applied: applied, domains: domains)
    }

    /// The `domains:` list: each entry a mapping with a unique `name` and directory options.
    static func domainSections(_ node: Node, path: String, catalog: OptionCatalog, command: OptionCatalog.Command,
                               shared: [Setting]) throws(ConfigError) -> [DomainSection] {
        let listLine = node.mark?.line ?? 1
        guard case .sequence(let items) = node, !items.isEmpty else {
            throw ConfigError("\(path):\(listLine): domains is a list of domains, each with a name and its directory options, e.g.\n  domains:\n    - name: corp\n      ldap-url: ldaps://dc1.corp.example.com")
        }
        var sections: [DomainSection] = []
        var names: [String: Int] = [:]
        for item in items {
            let line = item.mark?.line ?? listLine
            guard let mapping = item.mapping else {
                throw ConfigError("\(path):\(line): each item of domains is a domain: `- name: corp` followed by its options (ldap-url, bind-dn, ...), indented")
            }
            var name: String?
            var own: [Setting] = []
            var seen: [String: Int] = [:]
            for (keyNode, valueNode) in mapping {
                let keyLine = keyNode.mark?.line ?? line
                guard let key = keyNode.scalar?.string, !isNull(keyNode) else {
                    throw ConfigError("\(path):\(keyLine): a key must be an option name such as ldap-url")
                }
                if let first = seen[key] { throw ConfigError("\(path):\(keyLine): \(key) is set twice in this domain (also on line \(first)); keep one") }
                seen[key] = keyLine
                if key == "name" {
                    guard let text = valueNode.scalar?.string, !isNull(valueNode), DomainSection.isValidName(text) else {
                        throw ConfigError("\(path):\(keyLine): name: a domain's name is 1 to 63 letters, digits, dots, hyphens or underscores, starting with a letter or digit (reports and metrics show it), e.g. corp or emea.example.com")
                    }
                    name = text
                    continue
                }
                guard DomainSection.keys.contains(key), let entry = command.entry(long: key) ?? catalog.entry(key: key) else {
                    if isPasswordLike(normalize(key)) { throw unknownKey(key, path: path, line: keyLine, catalog: catalog) }
                    throw ConfigError("\(path):\(keyLine): \(key) is not a domain's option: a domain entry takes name, \(DomainSection.keys.sorted().joined(separator: ", ")); other options go at the top level")
                }
                guard let arguments = try arguments(for: valueNode, key: key, entry: entry, command: command,
                                                    path: path, line: keyLine)
                else { continue }
                own.append(Setting(key: entry.key, line: keyLine, arguments: arguments))
            }
            guard let name else {
                throw ConfigError("\(path):\(line): this domain has no name: add `name: corp` (reports and metrics show it)")
            }
            if let first = names[name.lowercased()] {
                throw ConfigError("\(path):\(line): the domain name \(name) is used twice (also on line \(first)); give each domain its own name")
            }
            names[name.lowercased()] = line
            let inherited = shared.filter { setting in !own.contains { $0.key == setting.key } }
            sections.append(DomainSection(name: name, line: line, arguments: (inherited + own).flatMap(\.arguments)))
        }
        return sections
    }

    /// Every setting of the file that `command` takes; every key is checked against every
    /// command, so a mistake shows whichever command runs.
    static func read(path: String, catalog: OptionCatalog, command: OptionCatalog.Command) throws(ConfigError) -> ([Setting], (node: Node, line: Int)?) {
        try settings(yaml: readText(path: path, option: "--config", what: "a config file"), path: path, catalog: catalog, command: command)
    }

    /// A small YAML file's text for `option`: at most a megabyte of UTF-8 (a leading BOM dropped).
    static func readText(path: String, option: String, what: String) throws(ConfigError) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ConfigError("\(option) \(path) is a directory: name the YAML file")
        }
        // At most a megabyte: such a file is a few dozen lines, and /dev/zero is not one.
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.read(upToCount: Self.maxSize + 1) ?? Data() else {
            throw ConfigError("\(option) \(path): cannot read it; check the path and its permissions")
        }
        try? handle.close()
        guard data.count <= Self.maxSize else {
            throw ConfigError("\(option) \(path) is larger than 1 MiB: \(what) is a few dozen lines; check the path")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw ConfigError("\(option) \(path): not UTF-8 text; save the file as UTF-8")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text
    }

    /// The YAML document of `text`; nil when it is empty or only comments.
    static func compose(_ text: String, path: String) throws(ConfigError) -> Node? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxFailure(error, path: path, text: text)
        } catch {
            throw ConfigError("\(path): not valid YAML: \(error)")
        }
        guard let root, !isNull(root) else { return nil }
        return root
    }

    static func settings(yaml text: String, path: String, catalog: OptionCatalog,
                         command: OptionCatalog.Command) throws(ConfigError) -> ([Setting], (node: Node, line: Int)?) {
        guard let root = try compose(text, path: path) else { return ([], nil) }  // empty, or nothing but comments
        guard let mapping = root.mapping else {
            throw ConfigError("\(path):\(root.mark?.line ?? 1): expected option names and values, one per line, such as `grace: 2h`")
        }

        var settings: [Setting] = []
        var domains: (node: Node, line: Int)?
        var firstLine: [String: Int] = [:]
        for (keyNode, valueNode) in mapping {
            let line = keyNode.mark?.line ?? 1
            guard let key = keyNode.scalar?.string, !isNull(keyNode) else {
                throw ConfigError("\(path):\(line): a key must be an option name such as ldap-url")
            }
            if key == "domains" {
                // Only for the commands that read a directory; the others skip it like any key they do not take.
                if command.entry(long: "ldap-url") != nil { domains = (valueNode, line) }
                continue
            }
            if key == "config" {
                throw ConfigError("\(path):\(line): config: a config file cannot name another; give one file with --config on the command line")
            }
            guard !reservedKeys.contains(key), let known = catalog.entry(key: key) else {
                throw unknownKey(key, path: path, line: line, catalog: catalog)
            }
            if let first = firstLine[known.key] {
                throw ConfigError("\(path):\(line): \(key) is set twice (also on line \(first)); keep one")
            }
            firstLine[known.key] = line
            // Judge the value with this command's own definition when it takes the key.
            let entry = command.entry(long: key) ?? known
            guard let arguments = try arguments(for: valueNode, key: key, entry: entry, command: command,
                                                path: path, line: line)
            else { continue }
            if command.entry(long: key) != nil, !meantForAnother(arguments, key: key, command: command, catalog: catalog) {
                settings.append(Setting(key: entry.key, line: line, arguments: arguments))
            }
        }
        return (settings, domains)
    }

    /// Whether a value is one this command's option does not list but another command's
    /// option of the same name does (`format: csv` is for compare, not for history's table or
    /// json): skipped like a key this command does not take. A value no command lists stays,
    /// for the parser to refuse.
    private static func meantForAnother(_ arguments: [String], key: String, command: OptionCatalog.Command,
                                        catalog: OptionCatalog) -> Bool {
        guard let values = command.entry(long: key)?.allValues, arguments.count == 1,
              let value = arguments[0].split(separator: "=", maxSplits: 1).dropFirst().first.map(String.init),
              !values.contains(value)
        else { return false }
        return catalog.commands.contains { $0.entry(long: key)?.allValues?.contains(value) ?? false }
    }

    /// The arguments one key stands for; nil when the value is empty.
    private static func arguments(for value: Node, key: String, entry: OptionCatalog.Entry, command: OptionCatalog.Command,
                                  path: String, line keyLine: Int) throws(ConfigError) -> [String]? {
        let line = value.mark?.line ?? keyLine
        if isNull(value) { return nil }  // `key:`, `~`, `null`; a quoted "" is a value
        if entry.isFlag {
            if entry.isRepeating, let scalar = value.scalar, let count = Int(scalar.string), (0...100).contains(count) {
                return Array(repeating: "--\(key)", count: count)
            }
            guard let scalar = value.scalar, let on = switchValue(scalar.string) else {
                throw ConfigError("\(path):\(line): \(key) is a switch: write \(key): true or \(key): false")
            }
            if on { return ["--\(key)"] }
            // A flag with an inversion (`--no-x`) can be turned off explicitly; otherwise off is its default.
            if command.entry(long: "no-" + key) != nil { return ["--no-\(key)"] }
            return []
        }
        /// `--key=value`. A value that starts with a combining mark would merge with the `=`
        /// into one character, and the parser would not split them: no option value starts so.
        func argument(_ text: String, line: Int) throws(ConfigError) -> String {
            if let first = text.unicodeScalars.first,
               [.nonspacingMark, .spacingMark, .enclosingMark].contains(first.properties.generalCategory) {
                throw ConfigError("\(path):\(line): \(key): the value starts with a combining mark; write the value itself")
            }
            return "--\(key)=\(text)"
        }
        switch value {
        case .scalar(let scalar):
            return [try argument(scalar.string, line: line)]
        case .sequence(let items):
            guard entry.isRepeating else {
                throw ConfigError("\(path):\(line): \(key) takes one value, not a list")
            }
            var out: [String] = []
            for item in items {
                guard let scalar = item.scalar else {
                    throw ConfigError("\(path):\(item.mark?.line ?? line): \(key): each item of the list must be one value")
                }
                if isNull(item) { continue }
                out.append(try argument(scalar.string, line: item.mark?.line ?? line))
            }
            return out
        case .mapping:
            let takes = entry.isRepeating ? "a value or a list of values" : "one value"
            throw ConfigError("\(path):\(line): \(key) takes \(takes), not `name: value` pairs; check the indentation")
        case .alias:
            throw ConfigError("\(path):\(line): \(key): write the value itself, not an alias")
        }
    }

    /// A plain `~`, `null` or nothing; a quoted "" is an empty string.
    static func isNull(_ node: Node) -> Bool {
        node.scalar != nil && node.tag.rawValue == Tag.Name.null.rawValue
    }

    private static func switchValue(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on": true
        case "false", "no", "off": false
        default: nil
        }
    }

    // MARK: - Messages

    private static func unknownKey(_ key: String, path: String, line: Int, catalog: OptionCatalog) -> ConfigError {
        let normalized = normalize(key)
        if isPasswordLike(normalized) {
            return ConfigError("""
                \(path):\(line): \(key): a config file never holds a password or a secret. Use \
                bind-password-file or client-secret-file (a file holding only the secret, readable by this \
                account alone), or the environment variable PHS_CHECK_BIND_PASSWORD or PHS_CHECK_CLIENT_SECRET
                """)
        }
        var message = "\(path):\(line): unknown key \(key): no phs-check command has an option --\(key)"
        if let suggestion = suggestion(for: key, among: catalog.keys) {
            message += "; did you mean \(suggestion)?"
        } else {
            message += " (keys are the long option names without dashes, all at the top level; see phs-check COMMAND --help)"
        }
        return ConfigError(message)
    }

    static func isPasswordLike(_ key: String) -> Bool {
        key.contains("password") || key.contains("passwd") || key.contains("secret")
            || key.hasSuffix("pw") || key.hasSuffix("pwd") || key.hasSuffix("pass")
    }

    /// `ldapUrl`, `LDAP_URL`, `--ldap-url` → `ldap-url`.
    static func normalize(_ key: String) -> String {
        var out = ""
        var previous: Character?
        for character in key.drop(while: { $0 == "-" }) {
            if character.isUppercase, let previous, previous.isLowercase || previous.isNumber { out.append("-") }
            out.append(character == "_" || character == " " ? "-" : character)
            previous = character
        }
        return out.lowercased()
    }

    /// The known key `key` most probably meant, if one is close enough (also the command a
    /// mistyped first word meant).
    public static func suggestion(for key: String, among keys: [String]) -> String? {
        let normalized = normalize(key)
        if keys.contains(normalized) { return normalized }
        let bare = normalized.replacingOccurrences(of: "-", with: "")
        if let same = keys.first(where: { $0.replacingOccurrences(of: "-", with: "") == bare }) { return same }
        let limit = normalized.count <= 4 ? 1 : 2
        let scored = keys.map { ($0, editDistance(normalized, $0)) }.filter { $0.1 <= limit }
        return scored.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }?.0
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and
    /// transpositions of neighbours each cost one.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }

    /// A YAML error as `FILE:LINE:COLUMN: ...`, without quoting the line (it may hold a secret).
    static func syntaxFailure(_ error: YamlError, path: String, text: String) -> ConfigError {
        func context(_ context: YamlError.Context?) -> String {
            guard let context, !context.text.isEmpty else { return "" }
            return " (\(context.text) that starts on line \(context.mark.line))"
        }
        switch error {
        case .composer(_, "but found another document", let mark, _):
            return ConfigError("\(path):\(mark.line): a config file is one YAML document: remove the `---` line and what follows, or merge it above")
        case .scanner(let ctx, let problem, let mark, _), .parser(let ctx, let problem, let mark, _),
             .composer(let ctx, let problem, let mark, _):
            return ConfigError("\(path):\(mark.line):\(mark.column): not valid YAML: \(problem)\(context(ctx))")
        case .reader(let problem, let offset, _, _):
            let line = offset.map { offset in text.utf8.prefix(offset).reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) } }
            return ConfigError("\(path):\(line.map(String.init) ?? "?"): not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let ctx):
            let keys = duplicates.sorted()
            return ConfigError("\(path):\(ctx.mark.line): \(keys.joined(separator: ", ")) \(keys.count == 1 ? "is" : "are") set twice; keep one")
        default:
            return ConfigError("\(path): not valid YAML")
        }
    }
}

extension ConfigFile.DomainSection {
    /// The options a `domains:` entry takes: how to reach and bind to that domain's DCs and what
    /// to read there (the single-domain options of the same names).
    public static let keys: Set<String> = [
        "ldap-url", "starttls", "bind-dn", "bind-password-file", "sasl-mech", "ca-file",
        "insecure-skip-tls-verify", "allow-cleartext-bind", "base-dn", "search-base", "filter",
        "page-size", "timeout",
    ]
    /// Of those, the ones that name one domain's place: never shared from the top level.
    static let ownKeys: Set<String> = ["ldap-url", "base-dn", "search-base", "filter"]

    /// 1 to 63 of `A-Z a-z 0-9 . - _`, starting with a letter or digit.
    static func isValidName(_ text: String) -> Bool {
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        let bytes = Array(text.utf8)
        guard let first = bytes.first, bytes.count <= 63, isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }
}

/// Every option of every command, as argument-parser describes them
/// (`ParsableCommand._dumpHelp()`, the JSON that `--experimental-dump-help` prints:
/// `ArgumentParserToolInfo.ToolInfoV0`, serialization version 0).
struct OptionCatalog {
    /// One option or flag; `key` is its preferred long name.
    struct Entry {
        var key: String
        var longNames: [String]
        var shortNames: [Character]
        var isFlag: Bool
        var isRepeating: Bool
        /// The values an enumerated option takes (`format`: table, json...), nil for any.
        var allValues: [String]?
    }

    struct Command {
        var names: [String]
        var entries: [Entry]
        var subcommands: [Command]

        func entry(long name: String) -> Entry? { entries.first { $0.longNames.contains(name) } }
        func entry(short letter: Character) -> Entry? { entries.first { $0.shortNames.contains(letter) } }
    }

    var root: Command

    init(root type: any ParsableCommand.Type) throws(ConfigError) {
        let info: ToolInfo
        do {
            info = try JSONDecoder().decode(ToolInfo.self, from: Data(type._dumpHelp().utf8))
        } catch {
            throw ConfigError("cannot read argument-parser's description of the options (\(error)); --config needs it")
        }
        guard info.serializationVersion == 0 else {
            throw ConfigError("argument-parser describes its options in version \(info.serializationVersion), --config reads version 0")
        }
        root = Self.command(info.command)
    }

    /// The command the arguments name (`check`, `compare`...), and where its own arguments start.
    func command(for arguments: [String]) -> (Command, Int) {
        var command = root
        var index = 0
        while index < arguments.count, let next = command.subcommands.first(where: { $0.names.contains(arguments[index]) }) {
            command = next
            index += 1
        }
        return (command, index)
    }

    /// Every command below the root except argument-parser's own `help`.
    var commands: [Command] {
        func walk(_ command: Command) -> [Command] {
            command.subcommands.filter { $0.names.first != "help" }.flatMap { [$0] + walk($0) }
        }
        return walk(root)
    }

    /// The entry for a config key, from the first command that takes it.
    func entry(key: String) -> Entry? {
        for command in commands {
            if let entry = command.entry(long: key), !ConfigFile.reservedKeys.contains(entry.key) { return entry }
        }
        return nil
    }

    /// Every config key: every long name of every command's options, but the reserved ones.
    var keys: [String] {
        var seen: Set<String> = []
        return commands.flatMap(\.entries).flatMap(\.longNames)
            .filter { !ConfigFile.reservedKeys.contains($0) && seen.insert($0).inserted }
    }

    private static func command(_ info: CommandInfo) -> Command {
        let entries = (info.arguments ?? []).compactMap { argument -> Entry? in
            guard argument.kind == "option" || argument.kind == "flag" else { return nil }
            let names = argument.names ?? []
            let longs = names.filter { $0.kind == "long" }.map(\.name)
            let shorts = names.filter { $0.kind == "short" }.compactMap(\.name.first)
            let preferred = argument.preferredName.flatMap { $0.kind == "long" ? $0.name : nil }
            guard let key = preferred ?? longs.first else { return nil }
            return Entry(key: key, longNames: longs, shortNames: shorts, isFlag: argument.kind == "flag",
                         isRepeating: argument.isRepeating ?? false, allValues: argument.allValues)
        }
        return Command(names: [info.commandName] + (info.aliases ?? []), entries: entries,
                       subcommands: (info.subcommands ?? []).map(command))
    }

    private struct ToolInfo: Decodable {
        var serializationVersion: Int
        var command: CommandInfo
    }

    private struct CommandInfo: Decodable {
        var commandName: String
        var aliases: [String]?
        var subcommands: [CommandInfo]?
        var arguments: [ArgumentInfo]?
    }

    private struct ArgumentInfo: Decodable {
        var kind: String
        var names: [NameInfo]?
        var preferredName: NameInfo?
        var isRepeating: Bool?
        var allValues: [String]?
    }

    private struct NameInfo: Decodable {
        var kind: String
        var name: String
    }
}
