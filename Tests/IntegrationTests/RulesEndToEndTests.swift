import Foundation
import Testing

/// The rules of selective PHS, cloud-side changes, account expiry, smart card and inetOrgPerson
/// end to end on the real Samba AD DC: every state made by real LDAP operations (an
/// `adminDescription`, an `accountExpires` in the past, `SMARTCARD_REQUIRED` set, an object
/// added with class `inetOrgPerson`), a Graph export written from the users' real GUIDs, then
/// `check` (live) in each `--selective-phs` mode, `compare` on the snapshot, and `explain`.
extension DirectoryWriters {
@Suite(.enabled(if: TestDirectory.available))
struct RulesEndToEndTests {
    typealias E2E = CheckEndToEndTests

    /// The codes of each user in each mode. In include mode only `rules.included` is synced;
    /// an account's expiry is judged whatever its PHS scope (its cloud account still signs in).
    static let expected: [String: [String: [String]]] = [
        "exclude": [
            "rules.plain": [], "rules.included": ["password-not-synced"], "rules.unmarked": ["password-not-synced"],
            "rules.filtered": ["phs-excluded"], "rules.newer": ["cloud-password-newer"], "rules.expired": ["expired-on-premises"],
            "rules.smartcard": ["smartcard-required"], "rules.inetorg": ["phs-unsupported-object"],
        ],
        "include": [
            "rules.plain": ["phs-excluded"], "rules.included": ["password-not-synced"], "rules.unmarked": ["phs-excluded"],
            "rules.filtered": ["phs-excluded"], "rules.newer": ["phs-excluded"], "rules.expired": ["phs-excluded", "expired-on-premises"],
            "rules.smartcard": ["phs-excluded"], "rules.inetorg": ["phs-excluded"],
        ],
        "off": [
            "rules.plain": [], "rules.included": ["password-not-synced"], "rules.unmarked": ["password-not-synced"],
            "rules.filtered": ["password-not-synced"], "rules.newer": ["cloud-password-newer"], "rules.expired": ["expired-on-premises"],
            "rules.smartcard": ["smartcard-required"], "rules.inetorg": ["phs-unsupported-object"],
        ],
    ]

    struct Scenario: Sendable {
        var ou: String
        var snapshot: String
        var graphJSON: String
        var folder: URL
        var common: [String]
    }

    static let scenario: Result<Scenario, any Error> = Result { try build() }

    /// 2020-01-01T00:00:00Z as a FILETIME: an expiry well in the past.
    static let expiredFileTime = "132223104000000000"

    static func build() throws -> Scenario {
        let dc = try TestDirectory.require()
        let admin = DirectoryAdmin(dc: dc)
        let (ou, folder) = try admin.freshScenario(prefix: "RULES")
        let created = Date()
        for name in ["rules.plain", "rules.unmarked", "rules.newer", "rules.expired", "rules.smartcard"] {
            try admin.createUser(name, in: ou)
        }
        try admin.createUser("rules.included", in: ou, extra: ["adminDescription: PHSIncluded"])
        try admin.createUser("rules.filtered", in: ou, extra: ["adminDescription: PHSFiltered"])
        // The object's class is set when it is made: an inetOrgPerson (a subclass of user).
        try admin.createUser("rules.inetorg", in: ou, objectClass: "inetOrgPerson")
        try admin.replace("rules.expired", in: ou, "accountExpires", Self.expiredFileTime)
        // 0x200 NORMAL_ACCOUNT + 0x40000 SMARTCARD_REQUIRED.
        try admin.replace("rules.smartcard", in: ou, "userAccountControl", "262656")
        // Every password is older than the 5 s grace by the time the export is taken.
        let wait = 7 - Date().timeIntervalSince(created)
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        let asOf = Date()

        let snapshotPath = folder.appendingPathComponent("snapshot.jsonl").path
        let collect = try CommandRunner.phsCheck(["collect", "--quiet"] + E2E.ldaps(dc, ou) + ["--output", snapshotPath])
        try #require(collect.status == 0, "\(collect.stderr)")
        let users = try CollectTests.Snapshot(CommandResult(status: 0, stdout: Data(contentsOf: URL(fileURLWithPath: snapshotPath)), stderr: "")).users
        try #require(users.count == 8)

        var cloud: [[String: Any]] = []
        for (sam, user) in users.sorted(by: { $0.key < $1.key }) {
            let pwdLastSet = try #require((user["pwdLastSet"] as? String).flatMap(CollectTests.parseISO))
            let lastChange: Date = switch sam {
            case "rules.included", "rules.unmarked", "rules.filtered": asOf.addingTimeInterval(-86_400)
            // A reset in the cloud after the on-premises password: 7 s and more later, past the grace.
            case "rules.newer": asOf
            default: pwdLastSet.addingTimeInterval(1)
            }
            cloud.append([
                "id": UUID().uuidString.lowercased(),
                "userPrincipalName": try #require(user["userPrincipalName"] as? String),
                "accountEnabled": true,
                "lastPasswordChangeDateTime": E2E.iso(lastChange),
                "onPremisesSyncEnabled": true,
                "onPremisesSamAccountName": sam,
                "onPremisesSecurityIdentifier": try #require(user["objectSid"] as? String),
                "onPremisesImmutableId": try #require(user["objectGUIDBase64"] as? String),
            ])
        }
        let graph = folder.appendingPathComponent("users.json")
        try JSONSerialization.data(withJSONObject: ["@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": cloud],
                                   options: [.prettyPrinted, .sortedKeys]).write(to: graph)
        return Scenario(ou: ou, snapshot: snapshotPath, graphJSON: graph.path, folder: folder,
                        common: ["--grace", "5s", "--max-skew", "1s", "--as-of", E2E.iso(asOf.addingTimeInterval(1))])
    }

    @Test("collect records each user's structural class and its flags as the DC holds them")
    func snapshotFacts() throws {
        let s = try Self.scenario.get()
        let users = try CollectTests.Snapshot(CommandResult(status: 0, stdout: Data(contentsOf: URL(fileURLWithPath: s.snapshot)), stderr: "")).users
        #expect(users["rules.inetorg"]?["structuralClass"] as? String == "inetOrgPerson")
        #expect(users["rules.plain"]?["structuralClass"] as? String == "user")
        #expect((users["rules.smartcard"]?["flags"] as? [String])?.contains("SMARTCARD_REQUIRED") == true)
        #expect(users["rules.expired"]?["accountExpires"] as? String == "2020-01-01T00:00:00Z")
        #expect(users["rules.included"]?["adminDescription"] as? String == "PHSIncluded")
    }

    @Test("check, live, in each --selective-phs mode: exactly the expected codes", arguments: ["exclude", "include", "off"])
    func checkLive(mode: String) throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let result = try CommandRunner.phsCheck(["check", "--quiet", "--format", "json", "--selective-phs", mode, "--cloud", s.graphJSON]
                                                + E2E.ldaps(dc, s.ou) + s.common)
        #expect(result.status == 1, "\(result.stderr)")
        let report = try E2E.json(result)
        #expect(report["selectivePHS"] as? String == mode, "the report says which mode judged it")
        let codes = try E2E.codes(report)
        for (user, expected) in try #require(Self.expected[mode]) {
            #expect((codes[user] ?? []).sorted() == expected.sorted(), "\(user) in \(mode) mode")
        }
        #expect(Set(codes.keys).isSubset(of: Set(Self.expected[mode]!.keys)))
        try SchemaValidator.validate(json: result.output, schema: "report")
    }

    @Test("The mode from the config file; compare on the snapshot gives check's findings")
    func configAndCompare() throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let config = s.folder.appendingPathComponent("phs-check.yaml")
        try "selective-phs: include\n".write(to: config, atomically: true, encoding: .utf8)
        let check = try CommandRunner.phsCheck(["check", "--quiet", "--format", "json", "--config", config.path, "--cloud", s.graphJSON]
                                               + E2E.ldaps(dc, s.ou) + s.common)
        let codes = try E2E.codes(E2E.json(check))
        #expect(codes["rules.plain"] == ["phs-excluded"], "the config file's include mode")
        let table = try CommandRunner.phsCheck(["compare", "--quiet", "--config", config.path, "--snapshot", s.snapshot, "--cloud", s.graphJSON] + s.common)
        #expect(table.output.contains("; selective PHS include"), "\(table.output)")
        let compare = try CommandRunner.phsCheck(["compare", "--quiet", "--format", "json", "--config", config.path,
                                                  "--snapshot", s.snapshot, "--cloud", s.graphJSON] + s.common)
        #expect(compare.status == check.status)
        #expect(try E2E.codes(E2E.json(compare)) == codes)
        // The command line wins over the file.
        let overridden = try CommandRunner.phsCheck(["compare", "--quiet", "--format", "json", "--config", config.path, "--selective-phs", "exclude",
                                                     "--snapshot", s.snapshot, "--cloud", s.graphJSON] + s.common)
        #expect(try E2E.codes(E2E.json(overridden))["rules.plain"] == nil)
    }

    @Test("explain: each user's findings are check's, each at its own step", arguments: [
        ("rules.newer", "exclude", "password", "cloud-password-newer"),
        ("rules.expired", "exclude", "account-expiry", "expired-on-premises"),
        ("rules.smartcard", "exclude", "smart-card", "smartcard-required"),
        ("rules.inetorg", "exclude", "phs-scope", "phs-unsupported-object"),
        ("rules.unmarked", "include", "phs-scope", "phs-excluded"),
        ("rules.included", "include", "password", "password-not-synced"),
    ])
    func explain(user: String, mode: String, step: String, code: String) throws {
        let dc = try TestDirectory.require()
        let s = try Self.scenario.get()
        let result = try CommandRunner.phsCheck(["explain", user, "--quiet", "--format", "json", "--fail-on", "never", "--selective-phs", mode,
                                                 "--cloud", s.graphJSON] + E2E.ldaps(dc, s.ou) + s.common)
        #expect(result.status == 0, "\(result.stderr)")
        try SchemaValidator.validate(json: result.output, schema: "explain")
        let json = try E2E.json(result)
        let findings = try #require(json["findings"] as? [[String: Any]]).filter { $0["scope"] as? String == "user" }
        #expect(findings.compactMap { $0["code"] as? String }.sorted() == Self.expected[mode]![user]!.sorted())
        let steps = try #require(json["steps"] as? [[String: Any]])
        let decided = steps.first { $0["code"] as? String == code }
        #expect(decided?["rule"] as? String == step, "\(code) at \(step)")
        // The table form says the same.
        let table = try CommandRunner.phsCheck(["explain", user, "--quiet", "--fail-on", "never", "--selective-phs", mode,
                                                "--cloud", s.graphJSON] + E2E.ldaps(dc, s.ou) + s.common)
        #expect(table.output.contains(code), "\(table.output)")
    }
}
}
