import Foundation
import SyncAudit

/// The reports every test renders: built from SyncAudit values through `Audit.run` with a fixed
/// `asOf` and `generatedAt`, so every renderer's output is byte-for-byte deterministic.
enum ReportFixture {
    static let asOf = Timestamp.parse("2024-03-04T12:00:00Z")!
    static let generatedAt = Timestamp.parse("2024-03-04T12:17:30Z")!
    static let hour: TimeInterval = 3600
    static let day: TimeInterval = 86_400

    /// A name a hostile directory could hold: every renderer must show it as text.
    static let hostileName = "<script>alert(1)</script>"

    static func guid(_ n: Int) -> ObjectGUID {
        ObjectGUID(uuidString: "6f9619ff-8b86-d011-b42d-" + String(repeating: "0", count: 12 - String(n).count) + String(n))!
    }

    static func ago(_ seconds: TimeInterval) -> PasswordLastSet {
        let date = asOf.addingTimeInterval(-seconds)
        // FILETIME: 100 ns ticks since 1601-01-01.
        return .set(date, raw: Int64((date.timeIntervalSince1970 + 11_644_473_600) * 10_000_000))
    }

    static func user(_ n: Int, _ name: String, pwdLastSet: PasswordLastSet = ago(20 * day), enabled: Bool = true,
                     dn: String? = nil, upn: String? = nil, adminDescription: String? = nil,
                     unicodePwd: Date? = nil) -> DirectoryUser {
        DirectoryUser(
            distinguishedName: dn ?? "CN=\(name),OU=Staff,DC=corp,DC=example", samAccountName: name,
            userPrincipalName: upn ?? "\(name)@corp.example", objectGUID: guid(n),
            objectSid: "S-1-5-21-3623811015-3361044348-30300820-\(1100 + n)", pwdLastSet: pwdLastSet,
            userAccountControl: enabled ? .normalAccount : [.normalAccount, .accountDisable],
            adminDescription: adminDescription, structuralClass: "user", unicodePwdLastChanged: unicodePwd, domain: "corp.example")
    }

    static func cloud(_ n: Int, _ name: String, lastChange: TimeInterval? = 20 * day - 60, upn: String? = nil,
                      immutableId: String? = nil, sid: Bool = false, enabled: Bool = true, syncEnabled: Bool? = true,
                      dn: String? = nil, domainName: String? = nil, errors: [String] = []) -> CloudUser {
        CloudUser(
            id: "0000\(n)-c10d-4e5f-8a9b-\(String(repeating: "0", count: 12 - String(n).count))\(n)",
            userPrincipalName: upn ?? "\(name)@corp.example", accountEnabled: enabled,
            lastPasswordChangeDateTime: lastChange.map { asOf.addingTimeInterval(-$0) },
            onPremisesImmutableId: immutableId ?? guid(n).base64, onPremisesSyncEnabled: syncEnabled,
            onPremisesSecurityIdentifier: sid ? "S-1-5-21-3623811015-3361044348-30300820-\(1100 + n)" : nil,
            onPremisesSamAccountName: name, onPremisesDistinguishedName: dn, onPremisesDomainName: domainName,
            onPremisesProvisioningErrors: errors)
    }

    /// Every finding code but phs-disabled and password-time-ambiguous, tenant findings (a heartbeat, Cloud Sync jobs), a hostile name, and statuses as `--history` fills them.
    /// Two domains: corp.example read, emea.corp.example not (--allow-partial); cloud users of
    /// emea and of fabrikam.example (not in the run) are out of scope, not orphans.
    static let full: AuditReport = {
        let (directory, cloudUsers, tenant, domains, settings) = fullInputs
        var result = Audit.run(directory: directory, cloud: cloudUsers, tenant: tenant, domains: domains, settings: settings)
        // As --history fills it: the oldest problems were already there in the previous run.
        let persisting: Set<String> = [hostileName, "obrien", "ivan"]
        for index in result.findings.indices {
            let finding = result.findings[index]
            let old = finding.scope != .user || persisting.contains(finding.directoryUser?.samAccountName ?? "")
            result.findings[index].status = old ? .persisting : .new
        }
        return AuditReport(
            version: "1.0.0", generatedAt: generatedAt,
            directory: .init(source: "ldaps://dc01.corp.example:636", baseDN: "DC=corp,DC=example", users: directory.count),
            cloud: .init(source: "exports/users-2024-03-04.json", format: "graph-json", users: cloudUsers.count),
            result: result, resolved: 2)
    }()

    /// `explain NAME` over `full`'s run.
    static func explanation(_ name: String) -> Explanation {
        let (directory, cloudUsers, tenant, domains, settings) = fullInputs
        let index = directory.firstIndex { $0.samAccountName == name }!
        let result = Audit.run(directory: directory, cloud: cloudUsers, tenant: tenant, domains: domains, settings: settings, explaining: [index])
        return Explanation(result, index: index, directory: directory)
    }

    /// What `full` compares: the directory and cloud users, the tenant, the domains and the settings.
    static let fullInputs: ([DirectoryUser], [CloudUser], TenantFacts, [DirectoryDomain], AuditSettings) = {
        let stale = 30 * day
        let obrienDN = #"CN=O'Brien\, Pat "PJ",OU=Staff,DC=corp,DC=example"#
        var directory: [DirectoryUser] = [
            user(1, "alice", pwdLastSet: ago(2 * hour + 5 * 60)),
            user(2, "bob", pwdLastSet: ago(10 * hour)),
            user(3, "carol", pwdLastSet: ago(2 * day + 3 * hour)),
            user(4, hostileName, pwdLastSet: ago(4 * day), dn: "CN=\(hostileName),OU=Staff,DC=corp,DC=example",
                 upn: "xss@corp.example"),
            user(5, "obrien", pwdLastSet: ago(9 * day + 2 * hour), dn: obrienDN, upn: "o'brien&partners@corp.example"),
            user(6, "dave", pwdLastSet: ago(3 * hour + 40 * 60)),
            user(7, "erin", pwdLastSet: ago(20 * 60)),
            user(8, "frank", pwdLastSet: .mustChange),
            user(9, "grace"),
            user(10, "heidi", pwdLastSet: ago(2 * hour), adminDescription: "PHSFiltered"),
            user(11, "ivan", pwdLastSet: ago(5 * day)),
            user(12, "judy", enabled: false),
            user(13, "kim"),
            user(14, "leo", pwdLastSet: ago(6 * hour)),
            user(15, "mike", pwdLastSet: ago(-10 * 60)),
            user(16, "nina", pwdLastSet: ago(3 * hour), unicodePwd: asOf.addingTimeInterval(-41 * day)),
            user(17, "oscar"),
            user(20, "peggy"),
            user(21, "quinn"),
            user(22, "rupert"),
            user(23, "sybil", pwdLastSet: ago(12 * day)),
            user(24, "trent"),
            user(25, "uma"),
            user(26, "victor"),
        ]
        directory[directory.count - 3].accountExpires = asOf.addingTimeInterval(-3 * day)
        directory[directory.count - 2].userAccountControl.insert(.smartcardRequired)
        directory[directory.count - 1].structuralClass = "inetOrgPerson"
        directory.sort { $0.samAccountName < $1.samAccountName }
        let cloudUsers: [CloudUser] = [
            cloud(1, "alice", lastChange: stale),
            cloud(2, "bob", lastChange: stale),
            cloud(3, "carol", lastChange: stale),
            cloud(4, hostileName, lastChange: stale, upn: "xss@corp.example"),
            cloud(5, "obrien", lastChange: nil, upn: "o'brien&partners@corp.example"),
            cloud(6, "dave", lastChange: stale),
            cloud(7, "erin", lastChange: stale),
            cloud(8, "frank"),
            cloud(10, "heidi", lastChange: stale),
            cloud(11, "ivan", lastChange: stale, syncEnabled: false),
            cloud(12, "judy"),
            cloud(13, "kim", errors: ["PropertyConflict: proxyAddresses = smtp:kim@corp.example"]),
            cloud(14, "leo", lastChange: stale, immutableId: "qqqqqqqqqqqqqqqqqqqqqg==", sid: true),
            cloud(15, "mike"),
            cloud(16, "nina", lastChange: 40 * day),
            cloud(17, "oscar"),
            cloud(18, "oscar.dup", immutableId: guid(17).base64),
            cloud(19, "mallory", dn: "CN=mallory,OU=Leavers,DC=corp,DC=example"),
            cloud(20, "peggy"),
            cloud(21, "quinn"),
            cloud(22, "rupert"),
            cloud(23, "sybil", lastChange: 2 * day),
            cloud(24, "trent"),
            cloud(25, "uma"),
            cloud(26, "victor"),
            cloud(30, "sven", dn: "CN=sven,OU=Staff,DC=emea,DC=corp,DC=example"),
            cloud(31, "tove", domainName: "emea.corp.example"),
            cloud(32, "ulla", dn: "CN=ulla,OU=Users,DC=fabrikam,DC=example"),
        ]
        let domains = [
            DirectoryDomain(name: "corp.example", namingContext: "DC=corp,DC=example", source: "ldaps://dc01.corp.example:636",
                            readAt: asOf.addingTimeInterval(600)),
            DirectoryDomain(name: "emea.corp.example", namingContext: "DC=emea,DC=corp,DC=example", source: "ldaps://dc01.emea.corp.example",
                            failure: "cannot reach ldaps://dc01.emea.corp.example: connection refused"),
        ]
        func job(_ domain: String, schedule: String = "Active", code: String = "Active", failures: Int = 0,
                 lastSuccessAgo: TimeInterval = 120) -> CloudSyncJob {
            CloudSyncJob(configuration: domain, servicePrincipalId: "sp-\(domain)", id: "AD2AADPasswordHash.\(domain)",
                         templateId: CloudSyncJob.passwordHashTemplate, scheduleState: schedule, statusCode: code,
                         successiveFailures: failures, quarantineReason: "EncounteredQuarantineException",
                         quarantineSince: asOf.addingTimeInterval(-2 * hour), lastExecutionError: "AgentUnreachable: no agent answered",
                         lastSuccessEnded: asOf.addingTimeInterval(-lastSuccessAgo))
        }
        let tenant = TenantFacts(lastPasswordSyncDateTime: asOf.addingTimeInterval(-(9 * day + 3 * hour)),
                                 onPremisesSyncEnabled: true, passwordSyncEnabled: true,
                                 cloudSyncJobs: [job("emea.corp.example", code: "Quarantine"), job("apac.corp.example", schedule: "Paused"),
                                                 job("amer.corp.example", failures: 3), job("lab.corp.example", lastSuccessAgo: 7 * hour),
                                                 job("ok.corp.example")])
        let settings = AuditSettings(asOf: asOf, asOfSource: .option, connectorName: "corp.example")
        return (directory, cloudUsers, tenant, domains, settings)
    }()

    /// `full` as a run recorded in a history that knows more: each finding's first sighting and
    /// runs open, the two resolved findings (a user and a tenant finding), and three runs' counts.
    static let withHistory: AuditReport = {
        var report = full
        let runs: [String: Int] = [hostileName: 3, "obrien": 7, "ivan": 2]
        for index in report.result.findings.indices {
            let finding = report.result.findings[index]
            let open = finding.status == .new ? 1 : runs[finding.directoryUser?.samAccountName ?? ""] ?? 5
            report.result.findings[index].runsOpen = open
            report.result.findings[index].firstSeen = asOf.addingTimeInterval(-Double(open - 1) * day + 60)
        }
        let new = report.findings.count { $0.status == .new }
        report.history = HistoryContext(
            resolved: [
                .init(code: "password-not-synced", samAccountName: "peggy", userPrincipalName: "peggy.o'neil@corp.example",
                      distinguishedName: "CN=peggy,OU=Staff,DC=corp,DC=example", domain: "corp.example",
                      firstSeen: asOf.addingTimeInterval(-2 * day + 60)),
                .init(code: "phs-heartbeat-stale", samAccountName: nil, userPrincipalName: nil, distinguishedName: nil,
                      domain: nil, firstSeen: nil),
            ],
            trend: [
                .init(runId: 1, at: asOf.addingTimeInterval(-2 * day), errors: 12, warnings: 3, infos: 4, new: 19),
                .init(runId: 2, at: asOf.addingTimeInterval(-day), errors: 14, warnings: 4, infos: 3, new: 4),
                .init(runId: 3, at: asOf, errors: report.count(.error), warnings: report.count(.warning),
                      infos: report.count(.info), new: new),
            ])
        return report
    }()

    /// Every user in sync: the empty state.
    static let clean: AuditReport = {
        let directory = [user(20, "peggy"), user(21, "quinn"), user(22, "rupert", pwdLastSet: ago(3 * hour))]
        let cloudUsers = [cloud(20, "peggy"), cloud(21, "quinn"), cloud(22, "rupert", lastChange: 3 * hour - 90)]
        let settings = AuditSettings(asOf: asOf, asOfSource: .graph)
        let result = Audit.run(directory: directory, cloud: cloudUsers, settings: settings)
        return AuditReport(
            version: "1.0.0", generatedAt: generatedAt,
            directory: .init(source: "snapshot nightly.jsonl (collected 2024-03-04T11:00:00Z from dc01.corp.example)",
                             baseDN: "DC=corp,DC=example", users: directory.count),
            cloud: .init(source: "users.csv", format: "mg-csv", users: cloudUsers.count),
            result: result)
    }()

    /// No finding, but a result that is less than certain: the export's time was inferred well
    /// before the directory read, and no cloud user says it is synced. Every report must say so.
    static let uncertain: AuditReport = {
        let directory = [user(20, "peggy"), user(21, "quinn")]
        let cloudUsers = [cloud(20, "peggy", syncEnabled: nil), cloud(21, "quinn", syncEnabled: nil)]
        let settings = AuditSettings(asOf: asOf, asOfSource: .inferred, directoryReadAt: asOf.addingTimeInterval(5 * hour))
        let result = Audit.run(directory: directory, cloud: cloudUsers, settings: settings)
        return AuditReport(
            version: "1.0.0", generatedAt: generatedAt,
            directory: .init(source: "ldaps://dc01.corp.example:636", baseDN: "DC=corp,DC=example", users: directory.count,
                             readAt: asOf.addingTimeInterval(5 * hour)),
            cloud: .init(source: "users.json", format: "graph-json", users: cloudUsers.count),
            result: result)
    }()
}
