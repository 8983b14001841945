import Foundation
import Testing

/// Two forests in one tenant, end to end: the two real Samba AD DCs of the test directory
/// (PHS.TEST on 127.0.0.1, EMEA.TEST on 127.0.0.2), users in telling states in both, and one
/// Graph export covering both. A single `check` of the config file's `domains:` reports each
/// domain's findings and no orphan; with one domain configured the other's cloud users are
/// out of scope; with the second DC stopped the run fails naming it, or with --allow-partial
/// reports it as a finding.
extension DirectoryWriters {
@Suite(.enabled(if: TestDirectory.available), .serialized)
struct MultiDomainTests {
    /// What each directory user is reported as, by domain and sAMAccountName.
    static let expected: [String: [String: [String]]] = [
        "phs": ["md.synced": [], "md.notsynced": ["password-not-synced"], "md.shared": ["ambiguous-match"]],
        "emea": ["md.synced2": [], "md.notsynced2": ["password-not-synced"], "md.disabled2": ["account-state-mismatch"],
                 "md.shared": ["ambiguous-match"]],
    ]

    struct Scenario: Sendable {
        var folder: URL
        var config: String        // both domains
        var configFirst: String   // the phs domain only
        var export: String
        var common: [String]
        var dc2Script: String
        var ous: [String: String] // domain name → its OU
    }

    static let scenario: Result<Scenario, any Error> = Result { try build() }

    static func build() throws -> Scenario {
        let dc1 = try TestDirectory.require()
        let (dc2, script) = try TestDirectory.requireSecond()
        let tag = UUID().uuidString.prefix(8)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("multi-domain-\(tag)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // One UPN in both forests: Entra can hold it once, so the join cannot tell whose it is.
        let shared = "shared-\(tag.lowercased())@multi.test"
        var ous: [String: String] = [:]
        for (name, dc, users) in [("phs", dc1, ["md.synced", "md.notsynced"]), ("emea", dc2, ["md.synced2", "md.notsynced2", "md.disabled2"])] {
            let admin = DirectoryAdmin(dc: dc)
            try admin.removeLeftovers(under: dc.baseDN, prefix: "MD-")
            let ou = "OU=MD-\(tag),\(dc.baseDN)"
            try admin.createOU(ou)
            for user in users { try admin.createUser(user, in: ou) }
            try admin.createUser("md.shared", in: ou, upn: shared)
            if name == "emea" { try admin.replace("md.disabled2", in: ou, "userAccountControl", "514") }
            ous[name] = ou
        }
        let asOf = Date().addingTimeInterval(60)

        // emea names its naming context: a domain that cannot be read still claims its cloud users.
        func domain(_ name: String, _ dc: TestDirectory) -> String {
            """
              - name: \(name)
                ldap-url: \(dc.url)\(name == "emea" ? "\n    base-dn: \(dc.baseDN)" : "")
                ca-file: \(dc.caFile)
                bind-dn: \(dc.bindDN)
                bind-password-file: \(dc.passwordFile)
                search-base: \(ous[name]!)

            """
        }
        let config = folder.appendingPathComponent("both.yaml")
        try ("domains:\n" + domain("phs", dc1) + domain("emea", dc2)).write(to: config, atomically: true, encoding: .utf8)
        let configFirst = folder.appendingPathComponent("phs-only.yaml")
        try ("domains:\n" + domain("phs", dc1)).write(to: configFirst, atomically: true, encoding: .utf8)

        // The cloud side from the users' real identifiers, collected from both DCs in one run.
        let snapshot = folder.appendingPathComponent("both.jsonl").path
        let collect = try CommandRunner.phsCheck(["collect", "--quiet", "--config", config.path, "--output", snapshot])
        try #require(collect.status == 0, "\(collect.stderr)")
        let sections = try Self.sections(snapshot)
        try #require(sections.map(\.domain) == ["phs", "emea"])
        var cloud: [[String: Any]] = []
        for section in sections {
            for (sam, user) in section.users where sam != "md.shared" {
                let pwdLastSet = try #require((user["pwdLastSet"] as? String).flatMap(CollectTests.parseISO))
                let synced = !sam.hasPrefix("md.notsynced")
                cloud.append([
                    "id": UUID().uuidString.lowercased(),
                    "userPrincipalName": try #require(user["userPrincipalName"] as? String),
                    "accountEnabled": true,
                    "lastPasswordChangeDateTime": CheckEndToEndTests.iso(synced ? pwdLastSet.addingTimeInterval(1) : asOf.addingTimeInterval(-86_400)),
                    "onPremisesSyncEnabled": true,
                    "onPremisesSamAccountName": sam,
                    "onPremisesSecurityIdentifier": try #require(user["objectSid"] as? String),
                    "onPremisesImmutableId": try #require(user["objectGUIDBase64"] as? String),
                    "onPremisesDistinguishedName": try #require(user["distinguishedName"] as? String),
                    "onPremisesDomainName": section.domain == "phs" ? "phs.test" : "emea.test",
                ])
            }
        }
        // The one cloud account both md.shared claim by UPN (synced from the first forest).
        let first = try #require(sections[0].users["md.shared"])
        cloud.append([
            "id": UUID().uuidString.lowercased(), "userPrincipalName": shared, "accountEnabled": true,
            "lastPasswordChangeDateTime": CheckEndToEndTests.iso(try #require((first["pwdLastSet"] as? String).flatMap(CollectTests.parseISO)).addingTimeInterval(1)),
            "onPremisesSyncEnabled": true, "onPremisesImmutableId": NSNull(),
            "onPremisesDistinguishedName": try #require(first["distinguishedName"] as? String),
            "onPremisesDomainName": "phs.test",
        ])
        // A third forest synced to the same tenant that this run does not cover.
        cloud.append([
            "id": UUID().uuidString.lowercased(), "userPrincipalName": "olaf@fabrikam.test", "accountEnabled": true,
            "lastPasswordChangeDateTime": CheckEndToEndTests.iso(asOf.addingTimeInterval(-86_400)),
            "onPremisesSyncEnabled": true, "onPremisesImmutableId": Data((0..<16).map { UInt8($0) }).base64EncodedString(),
            "onPremisesDistinguishedName": "CN=olaf,OU=Users,DC=fabrikam,DC=test", "onPremisesDomainName": "fabrikam.test",
        ])
        let export = folder.appendingPathComponent("users.json")
        try JSONSerialization.data(withJSONObject: ["@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": cloud],
                                   options: [.prettyPrinted, .sortedKeys]).write(to: export)
        return Scenario(folder: folder, config: config.path, configFirst: configFirst.path, export: export.path,
                        common: ["--grace", "5s", "--max-skew", "1s", "--as-of", CheckEndToEndTests.iso(asOf), "--format", "json", "--quiet"],
                        dc2Script: script, ous: ous)
    }

    /// The sections of a snapshot file: each domain's name and its users by sAMAccountName.
    static func sections(_ path: String) throws -> [(domain: String, users: [String: [String: Any]])] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        var sections: [(domain: String, users: [String: [String: Any]])] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            switch object["kind"] as? String {
            case "phs-check/ad-snapshot": sections.append((try #require(object["domain"] as? String), [:]))
            case "phs-check/ad-snapshot-end": #expect(object["users"] as? Int == sections.last?.users.count)
            default: sections[sections.count - 1].users[try #require(object["samAccountName"] as? String)] = object
            }
        }
        return sections
    }

    /// A JSON report's findings by domain and user (orphans by their cloud sAMAccountName), and its domains.
    static func report(_ result: CommandResult) throws -> (findings: [String: [String: [String]]], domains: [[String: Any]], all: [[String: Any]]) {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "stdout: \(String(decoding: result.stdout, as: UTF8.self)) stderr: \(result.stderr)")
        let findings = try #require(object["findings"] as? [[String: Any]])
        var byDomain: [String: [String: [String]]] = [:]
        for finding in findings where finding["scope"] as? String == "user" {
            let domain = finding["domain"] as? String ?? "?"
            let who = finding["samAccountName"] as? String ?? finding["userPrincipalName"] as? String ?? "?"
            byDomain[domain, default: [:]][who, default: []].append(finding["code"] as? String ?? "?")
        }
        return (byDomain, try #require(object["domains"] as? [[String: Any]]), findings)
    }

    /// The expected codes with the users that have none left out, as `report` gives them.
    static func withFindings(_ expected: [String: [String]]) -> [String: [String]] {
        expected.filter { !$0.value.isEmpty }
    }

    @Test("One check over both forests: each domain's findings exactly, no orphan, the third forest out of scope")
    func bothDomains() throws {
        let s = try Self.scenario.get()
        let result = try CommandRunner.phsCheck(["check", "--config", s.config, "--cloud", s.export] + s.common)
        #expect(result.status == 1, "\(result.stderr)")
        let (findings, domains, all) = try Self.report(result)
        #expect(findings["phs"] == Self.withFindings(Self.expected["phs"]!))
        #expect(findings["emea"] == Self.withFindings(Self.expected["emea"]!))
        #expect(Set(findings.keys) == ["phs", "emea"])
        #expect(!all.contains { $0["code"] as? String == "orphaned-cloud-user" })
        #expect(domains.map { $0["name"] as? String } == ["phs", "emea", "fabrikam.test"])
        #expect(domains.map { $0["status"] as? String } == ["read", "read", "not-read"])
        #expect(domains.map { $0["directoryUsers"] as? Int } == [3, 4, 0])
        #expect(domains.map { $0["cloudUsersOutOfScope"] as? Int } == [0, 0, 1])
        #expect(domains[0]["source"] as? String == "ldaps://dc1.phs.test")
        #expect(domains[1]["source"] as? String == "ldaps://dc2.emea.test")
        #expect((domains[1]["bySeverity"] as? [String: Int]) == ["error": 2, "warning": 1, "info": 0])
    }

    @Test("compare: the sections of one collect, or one snapshot per domain, give check's findings")
    func compareSnapshots() throws {
        let s = try Self.scenario.get()
        let dc1 = try TestDirectory.require()
        let (dc2, _) = try TestDirectory.requireSecond()
        let both = s.folder.appendingPathComponent("compare-both.jsonl").path
        let collect = try CommandRunner.phsCheck(["collect", "--quiet", "--config", s.config, "--output", both])
        try #require(collect.status == 0, "\(collect.stderr)")
        var single: [String] = []
        for (name, dc) in [("phs", dc1), ("emea", dc2)] {
            let path = s.folder.appendingPathComponent("\(name).jsonl").path
            let one = try CommandRunner.phsCheck(["collect", "--quiet", "--ldap-url", dc.url, "--ca-file", dc.caFile, "--bind-dn", dc.bindDN,
                                                  "--bind-password-file", dc.passwordFile, "--search-base", s.ous[name]!, "--output", path])
            try #require(one.status == 0, "\(one.stderr)")
            single += ["--snapshot", path]
        }
        let fromSections = try Self.report(CommandRunner.phsCheck(["compare", "--snapshot", both, "--cloud", s.export] + s.common))
        #expect(fromSections.findings["phs"] == Self.withFindings(Self.expected["phs"]!))
        #expect(fromSections.findings["emea"] == Self.withFindings(Self.expected["emea"]!))
        // Without a config, each domain is named by its DNS name.
        let fromFiles = try Self.report(CommandRunner.phsCheck(["compare"] + single + ["--cloud", s.export] + s.common))
        #expect(fromFiles.findings["phs.test"] == Self.withFindings(Self.expected["phs"]!))
        #expect(fromFiles.findings["emea.test"] == Self.withFindings(Self.expected["emea"]!))
        #expect(!fromFiles.all.contains { $0["code"] as? String == "orphaned-cloud-user" })
        // The same domain twice is refused, whatever its two names.
        let twice = try CommandRunner.phsCheck(["compare", "--snapshot", both, "--snapshot", single[1], "--cloud", s.export] + s.common)
        #expect(twice.status == 2)
        #expect(twice.stderr.contains("phs and phs.test are the same domain (DC=phs,DC=test)"), "\(twice.stderr)")
    }

    @Test("One domain configured: the other forest's cloud users are out of scope, not orphans")
    func oneDomainConfigured() throws {
        let s = try Self.scenario.get()
        let result = try CommandRunner.phsCheck(["check", "--config", s.configFirst, "--cloud", s.export] + s.common)
        #expect(result.status == 1, "\(result.stderr)")
        let (findings, domains, all) = try Self.report(result)
        // md.shared has no rival now: the UPN is its alone.
        #expect(findings == ["phs": ["md.notsynced": ["password-not-synced"]]])
        #expect(!all.contains { $0["code"] as? String == "orphaned-cloud-user" })
        #expect(domains.map { $0["name"] as? String } == ["phs", "emea.test", "fabrikam.test"])
        #expect(domains.map { $0["status"] as? String } == ["read", "not-read", "not-read"])
        #expect(domains.map { $0["cloudUsersOutOfScope"] as? Int } == [0, 3, 1])
    }

    @Test("The second DC down: exit 3 naming the domain; with --allow-partial the first domain's findings and a domain-unreachable finding")
    func secondDomainDown() throws {
        let s = try Self.scenario.get()
        // The script's output goes to a file, not a pipe (the Samba it starts would keep a pipe
        // open), and it is spawned and waited for directly: Foundation's Process did not always
        // see it end once it had started a daemon.
        let log = s.folder.appendingPathComponent("samba2.log")
        func script(_ command: String) throws -> Int32 {
            try CommandRunner.spawnAndWait("/bin/bash", [s.dc2Script, command, "samba2"], output: log.path)
        }
        let logText = { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        try #require(try script("stop") == 0, "\(logText())")
        defer {
            let started = try? script("start")
            #expect(started == 0, "the second DC did not start again: \(logText())")
        }
        let down = try CommandRunner.phsCheck(["check", "--config", s.config, "--cloud", s.export] + s.common)
        #expect(down.status == 3)
        #expect(down.stderr.contains("domain emea (\(s.config) line"), "\(down.stderr)")
        #expect(down.stderr.contains("--allow-partial"), "\(down.stderr)")
        #expect(down.stdout.isEmpty, "no report from a run that could not see everything")

        let partial = try CommandRunner.phsCheck(["check", "--config", s.config, "--allow-partial", "--cloud", s.export] + s.common)
        #expect(partial.status == 1, "\(partial.stderr)")
        let (findings, domains, all) = try Self.report(partial)
        #expect(findings == ["phs": ["md.notsynced": ["password-not-synced"]]])
        let unreachable = all.filter { $0["code"] as? String == "domain-unreachable" }
        #expect(unreachable.count == 1)
        #expect(unreachable.first?["domain"] as? String == "emea")
        #expect(unreachable.first?["scope"] as? String == "domain")
        #expect(!all.contains { $0["code"] as? String == "orphaned-cloud-user" })
        #expect(domains.map { $0["status"] as? String } == ["read", "unreachable", "not-read"])
        #expect(domains[1]["cloudUsersOutOfScope"] as? Int == 3)
        #expect((domains[1]["failure"] as? String)?.contains("dc2.emea.test") == true, "\(domains[1])")

        // collect --allow-partial writes the missing domain's section; compare reports it only with --allow-partial.
        let snapshot = s.folder.appendingPathComponent("partial.jsonl").path
        let collect = try CommandRunner.phsCheck(["collect", "--quiet", "--config", s.config, "--allow-partial", "--output", snapshot])
        #expect(collect.status == 0, "\(collect.stderr)")
        let refused = try CommandRunner.phsCheck(["compare", "--snapshot", snapshot, "--cloud", s.export] + s.common)
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("the domain emea could not be read"), "\(refused.stderr)")
        let compared = try Self.report(CommandRunner.phsCheck(["compare", "--snapshot", snapshot, "--allow-partial", "--cloud", s.export] + s.common))
        #expect(compared.findings == ["phs": ["md.notsynced": ["password-not-synced"]]])
        #expect(compared.all.contains { $0["code"] as? String == "domain-unreachable" && $0["domain"] as? String == "emea" })
    }

    @Test("Config mistakes in domains: name the file, line and fix")
    func configMistakes() throws {
        let s = try Self.scenario.get()
        let cases: [(String, String)] = [
            ("domains:\n  - ldap-url: ldaps://dc1.phs.test\n", ":2: this domain has no name"),
            ("domains:\n  - name: a\n    grace: 2h\n", ":3: grace is not a domain's option"),
            ("domains:\n  - name: a\n  - name: A\n", ":3: the domain name A is used twice"),
            ("ldap-url: ldaps://dc1.phs.test\ndomains:\n  - name: a\n", ":1: ldap-url names one domain's place"),
            ("domains: corp\n", "domains is a list of domains"),
        ]
        for (index, (yaml, message)) in cases.enumerated() {
            let file = s.folder.appendingPathComponent("bad-\(index).yaml")
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            let result = try CommandRunner.phsCheck(["check", "--config", file.path, "--cloud", s.export] + s.common)
            #expect(result.status == 2, "\(yaml)")
            #expect(result.stderr.contains(file.path) && result.stderr.contains(message), "\(yaml): \(result.stderr)")
        }
        let both = try CommandRunner.phsCheck(["check", "--config", s.config, "--ldap-url", "ldaps://dc1.phs.test", "--cloud", s.export] + s.common)
        #expect(both.status == 2)
        #expect(both.stderr.contains("--ldap-url is given on the command line"), "\(both.stderr)")
    }
}
}
