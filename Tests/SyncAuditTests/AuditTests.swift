import Foundation
import SyncAudit
import Testing

/// Builders for the table tests: one directory user and its cloud twin, anchored on objectGUID.
enum Fixture {
    static let asOf = Date(timeIntervalSince1970: 1_700_000_000) // 2023-11-14T22:13:20Z
    static let guid = ObjectGUID(uuidString: "42a9ee8f-f405-49d4-946c-4e23bfa6f7f6")!

    static func user(_ name: String = "alice", pwdLastSet: PasswordLastSet = .set(asOf.addingTimeInterval(-86_400), raw: 1),
                     enabled: Bool = true, adminDescription: String? = nil, unicodePwd: Date? = nil,
                     guid: ObjectGUID? = Fixture.guid, sid: String? = "S-1-5-21-1-2-3-1104",
                     upn: String? = nil, consistencyGuid: Data? = nil) -> DirectoryUser {
        DirectoryUser(
            distinguishedName: "CN=\(name),OU=Staff,DC=corp,DC=example", samAccountName: name,
            userPrincipalName: upn ?? "\(name)@corp.example", objectGUID: guid, consistencyGuid: consistencyGuid,
            objectSid: sid, pwdLastSet: pwdLastSet,
            userAccountControl: enabled ? .normalAccount : [.normalAccount, .accountDisable],
            adminDescription: adminDescription, unicodePwdLastChanged: unicodePwd)
    }

    static func cloud(_ name: String = "alice", lastChange: Date? = asOf.addingTimeInterval(-86_400),
                      immutableId: String? = Fixture.guid.base64, sid: String? = nil, enabled: Bool = true,
                      syncEnabled: Bool? = true, errors: [String] = []) -> CloudUser {
        CloudUser(
            id: "id-\(name)", userPrincipalName: "\(name)@corp.example", accountEnabled: enabled,
            lastPasswordChangeDateTime: lastChange, onPremisesImmutableId: immutableId, onPremisesSyncEnabled: syncEnabled,
            onPremisesSecurityIdentifier: sid, onPremisesSamAccountName: name, onPremisesProvisioningErrors: errors)
    }

    static func settings(force: Bool = false) -> AuditSettings {
        AuditSettings(asOf: asOf, asOfSource: .option, forcePasswordChangeOnLogon: force)
    }

    static func codes(_ directory: [DirectoryUser], _ cloud: [CloudUser], tenant: TenantFacts? = nil,
                      force: Bool = false) -> [FindingCode] {
        Audit.run(directory: directory, cloud: cloud, tenant: tenant, settings: settings(force: force)).findings.map(\.code)
    }
}

@Suite("Password rules on every boundary")
struct PasswordRuleTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var pwdLastSetAgo: TimeInterval?   // seconds before asOf; nil = absent
        var cloudAgo: TimeInterval?        // seconds before asOf; nil = never changed in the cloud
        var expected: [FindingCode]
        var testDescription: String { name }
    }

    static let hour: TimeInterval = 3600
    static let cases: [Case] = [
        Case(name: "in sync: cloud after on-prem", pwdLastSetAgo: 2 * hour, cloudAgo: 1.9 * hour, expected: []),
        Case(name: "in sync: cloud exactly maxSkew behind", pwdLastSetAgo: 2 * hour, cloudAgo: 2 * hour + 300, expected: []),
        Case(name: "behind by maxSkew + 1 s, beyond grace", pwdLastSetAgo: 2 * hour, cloudAgo: 2 * hour + 301, expected: [.passwordNotSynced]),
        Case(name: "behind, exactly at grace: pending", pwdLastSetAgo: hour, cloudAgo: 30 * hour, expected: [.passwordSyncPending]),
        Case(name: "behind, grace + 1 s: not synced", pwdLastSetAgo: hour + 1, cloudAgo: 30 * hour, expected: [.passwordNotSynced]),
        Case(name: "behind, within grace: pending", pwdLastSetAgo: 60, cloudAgo: 30 * hour, expected: [.passwordSyncPending]),
        Case(name: "cloud never changed, beyond grace", pwdLastSetAgo: 2 * hour, cloudAgo: nil, expected: [.passwordNotSynced]),
        Case(name: "pwdLastSet absent: nothing to sync", pwdLastSetAgo: nil, cloudAgo: 30 * hour, expected: []),
        Case(name: "pwdLastSet after asOf", pwdLastSetAgo: -60, cloudAgo: 30 * hour, expected: [.changedAfterExport]),
        Case(name: "pwdLastSet exactly asOf: pending", pwdLastSetAgo: 0, cloudAgo: 30 * hour, expected: [.passwordSyncPending]),
    ]

    @Test(arguments: cases)
    func passwordRule(_ c: Case) {
        let pwd: PasswordLastSet = c.pwdLastSetAgo.map { .set(Fixture.asOf.addingTimeInterval(-$0), raw: 1) } ?? .absent
        let user = Fixture.user(pwdLastSet: pwd)
        let cloud = Fixture.cloud(lastChange: c.cloudAgo.map { Fixture.asOf.addingTimeInterval(-$0) })
        #expect(Fixture.codes([user], [cloud]) == c.expected)
    }

    @Test("0 then -1: pwdLastSet moved without a new password is unconfirmed, not missing")
    func unconfirmed() {
        let cloudTime = Fixture.asOf.addingTimeInterval(-30 * Self.hour)
        let moved = Fixture.user(pwdLastSet: .set(Fixture.asOf.addingTimeInterval(-2 * Self.hour), raw: 1),
                                 unicodePwd: cloudTime.addingTimeInterval(-10))
        #expect(Fixture.codes([moved], [Fixture.cloud(lastChange: cloudTime)]) == [.passwordChangeUnconfirmed])
        // A real new password (unicodePwd moved with pwdLastSet) is missing.
        let real = Fixture.user(pwdLastSet: .set(Fixture.asOf.addingTimeInterval(-2 * Self.hour), raw: 1),
                                unicodePwd: Fixture.asOf.addingTimeInterval(-2 * Self.hour))
        #expect(Fixture.codes([real], [Fixture.cloud(lastChange: cloudTime)]) == [.passwordNotSynced])
    }

    @Test("Temporary password: warned unless the tenant syncs temporary passwords", arguments: [false, true])
    func temporary(force: Bool) {
        let user = Fixture.user(pwdLastSet: .mustChange)
        #expect(Fixture.codes([user], [Fixture.cloud()], force: force) == (force ? [] : [.temporaryPassword]))
        // The tenant's own setting counts like the option.
        let tenant = TenantFacts(userForcePasswordChangeOnLogonEnabled: true)
        var settings = Fixture.settings(force: force)
        settings.forcePasswordChangeOnLogon = force || tenant.userForcePasswordChangeOnLogonEnabled == true
        #expect(Audit.run(directory: [user], cloud: [Fixture.cloud()], settings: settings).findings.isEmpty)
    }

    @Test("Disabled on-prem users get no password finding, only the state mismatch")
    func disabled() {
        let user = Fixture.user(pwdLastSet: .set(Fixture.asOf.addingTimeInterval(-2 * Self.hour), raw: 1), enabled: false)
        let stale = Fixture.asOf.addingTimeInterval(-30 * Self.hour)
        #expect(Fixture.codes([user], [Fixture.cloud(lastChange: stale, enabled: true)]) == [.accountStateMismatch])
        #expect(Fixture.codes([user], [Fixture.cloud(lastChange: stale, enabled: false)]) == [])
        #expect(Fixture.codes([user], []) == [], "a disabled user missing in the cloud is not an error")
    }

    @Test("PHSFiltered users are excluded, with an info finding")
    func phsFiltered() {
        let user = Fixture.user(pwdLastSet: .set(Fixture.asOf.addingTimeInterval(-2 * Self.hour), raw: 1), adminDescription: "PHSFiltered")
        #expect(Fixture.codes([user], [Fixture.cloud(lastChange: Fixture.asOf.addingTimeInterval(-30 * Self.hour))]) == [.phsExcluded])
        // A property of the directory user: the same finding whether or not a cloud account matched.
        #expect(Fixture.codes([user], []) == [.phsExcluded], "excluded users are not expected in the cloud, and say so")
    }
}

@Suite("Joining and the user-level rules")
struct JoinTests {
    @Test("Keys in order, reported as matchedBy")
    func matchedBy() {
        let consistency = Data((0..<16).map { UInt8($0) })
        let cases: [(DirectoryUser, CloudUser, MatchKey)] = [
            (Fixture.user(), Fixture.cloud(), .immutableId),
            (Fixture.user(consistencyGuid: consistency), Fixture.cloud(immutableId: consistency.base64EncodedString()), .consistencyGuid),
            (Fixture.user(), Fixture.cloud(immutableId: nil, sid: "s-1-5-21-1-2-3-1104"), .sid),
            (Fixture.user(upn: "Alice@Corp.Example"), Fixture.cloud(immutableId: nil), .upn),
        ]
        for (user, cloud, key) in cases {
            let join = Join(directory: [user], cloud: [cloud])
            #expect(join.outcomes == [.matched(cloudIndex: 0, by: key)])
        }
    }

    @Test("A key matching several users on either side is ambiguous, never a silent pick")
    func ambiguous() {
        let twoClouds = [Fixture.cloud("a"), Fixture.cloud("b")] // both carry the same immutable ID
        #expect(Fixture.codes([Fixture.user()], twoClouds) == [.ambiguousMatch])
        // Two directory users with the same UPN and one cloud user matched by UPN.
        let u1 = Fixture.user("x1", guid: nil, sid: nil, upn: "shared@corp.example")
        let u2 = Fixture.user("x2", guid: nil, sid: nil, upn: "shared@corp.example")
        let cloud = CloudUser(id: "c", userPrincipalName: "shared@corp.example", onPremisesSyncEnabled: true)
        #expect(Fixture.codes([u1, u2], [cloud]) == [.ambiguousMatch, .ambiguousMatch])
    }

    @Test("Anchor mismatch: matched by SID or UPN but anchored elsewhere")
    func anchorMismatch() {
        let other = ObjectGUID(uuidString: "00000000-0000-0000-0000-000000000001")!.base64
        #expect(Fixture.codes([Fixture.user()], [Fixture.cloud(immutableId: other, sid: "S-1-5-21-1-2-3-1104")]) == [.anchorMismatch])
        #expect(Fixture.codes([Fixture.user()], [Fixture.cloud(immutableId: other)]) == [.anchorMismatch])
    }

    @Test("Missing in the cloud, orphaned in the cloud, sync disabled, provisioning errors")
    func otherRules() {
        #expect(Fixture.codes([Fixture.user()], []) == [.notInCloud])
        #expect(Fixture.codes([], [Fixture.cloud()]) == [.orphanedCloudUser])
        #expect(Fixture.codes([], [Fixture.cloud(syncEnabled: nil)]) == [], "cloud-only accounts are not orphans")
        // Another cloud user synced, so the export's onPremisesSyncEnabled can be believed.
        let synced = Fixture.cloud("other", immutableId: "b3RoZXI=")
        #expect(Fixture.codes([Fixture.user()], [Fixture.cloud(syncEnabled: false), synced]) == [.cloudSyncDisabled, .orphanedCloudUser])
        #expect(Fixture.codes([Fixture.user()], [Fixture.cloud(errors: ["PropertyConflict: userPrincipalName"])]) == [.provisioningError])
    }

    @Test("not-synced messages name the official troubleshooter with the user's DN")
    func troubleshooterInMessage() throws {
        let user = Fixture.user(pwdLastSet: .set(Fixture.asOf.addingTimeInterval(-7200), raw: 1))
        let result = Audit.run(directory: [user], cloud: [Fixture.cloud(lastChange: Fixture.asOf.addingTimeInterval(-86_400))], settings: Fixture.settings())
        let finding = try #require(result.findings.first)
        #expect(finding.command == "Invoke-ADSyncDiagnostics -PasswordSync -ADConnectorName 'corp.example' -DistinguishedName 'CN=alice,OU=Staff,DC=corp,DC=example'")
        #expect(finding.nextStep == FindingCode.passwordNotSynced.entry.nextStep)
        #expect(result.oldestNotSyncedAge == 7200)
    }
}

@Suite("Tenant checks")
struct TenantTests {
    static func notSynced(_ n: Int, changedAgo: TimeInterval, cloudAgo: TimeInterval) -> ([DirectoryUser], [CloudUser]) {
        var directory: [DirectoryUser] = [], cloud: [CloudUser] = []
        for i in 0..<n {
            let guid = ObjectGUID(bytes: (0..<16).map { UInt8(($0 + i * 17) % 256) })!
            directory.append(Fixture.user("u\(i)", pwdLastSet: .set(Fixture.asOf.addingTimeInterval(-changedAgo + Double(i)), raw: 1), guid: guid, sid: "S-1-5-21-9-\(i)"))
            cloud.append(Fixture.cloud("u\(i)", lastChange: Fixture.asOf.addingTimeInterval(-cloudAgo), immutableId: guid.base64))
        }
        return (directory, cloud)
    }

    @Test("phs-stopped when 3 or more changes all came after the newest that arrived")
    func stopped() throws {
        let (broken, brokenCloud) = Self.notSynced(3, changedAgo: 5 * 3600, cloudAgo: 40 * 3600)
        let synced = Fixture.user("ok", pwdLastSet: .set(Fixture.asOf.addingTimeInterval(-10 * 3600), raw: 1), guid: ObjectGUID(bytes: [UInt8](repeating: 0xAB, count: 16))!, sid: "S-1-5-21-9-99")
        let syncedCloud = Fixture.cloud("ok", lastChange: Fixture.asOf.addingTimeInterval(-10 * 3600 + 60), immutableId: synced.objectGUID!.base64)
        let result = Audit.run(directory: broken + [synced], cloud: brokenCloud + [syncedCloud], settings: Fixture.settings())
        #expect(result.findings.first?.code == .phsStopped)
        #expect(result.findings.filter { $0.code == .passwordNotSynced }.count == 3)
        let message = try #require(result.findings.first?.message)
        #expect(message.contains("3 password changes"))
        // Two users are not enough to call it.
        let (two, twoCloud) = Self.notSynced(2, changedAgo: 5 * 3600, cloudAgo: 40 * 3600)
        #expect(!Fixture.codes(two + [synced], twoCloud + [syncedCloud]).contains(.phsStopped))
        // A change that arrived after one that didn't: not a stop, just individual failures.
        let later = Fixture.user("late", pwdLastSet: .set(Fixture.asOf.addingTimeInterval(-2 * 3600), raw: 1), guid: ObjectGUID(bytes: [UInt8](repeating: 0xCD, count: 16))!, sid: "S-1-5-21-9-98")
        let laterCloud = Fixture.cloud("late", lastChange: Fixture.asOf.addingTimeInterval(-2 * 3600 + 60), immutableId: later.objectGUID!.base64)
        #expect(!Fixture.codes(broken + [later], brokenCloud + [laterCloud]).contains(.phsStopped))
    }

    @Test("Heartbeat stale beyond 3 h; PHS disabled")
    func heartbeatAndDisabled() {
        let fresh = TenantFacts(lastPasswordSyncDateTime: Fixture.asOf.addingTimeInterval(-3 * 3600))
        #expect(Fixture.codes([], [], tenant: fresh).isEmpty, "exactly 3 h is not stale")
        let stale = TenantFacts(lastPasswordSyncDateTime: Fixture.asOf.addingTimeInterval(-3 * 3600 - 1))
        #expect(Fixture.codes([], [], tenant: stale) == [.phsHeartbeatStale])
        #expect(Fixture.codes([], [], tenant: TenantFacts(passwordSyncEnabled: false)) == [.phsDisabled])
    }

    @Test("Cloud Sync password hash sync jobs: each state its finding, in order of gravity; other jobs and healthy ones none")
    func cloudSyncJobs() {
        func job(_ name: String, template: String = CloudSyncJob.passwordHashTemplate, schedule: String? = "Active",
                 code: String? = "Active", failures: Int? = 0, lastSuccessAgo: TimeInterval? = 120) -> CloudSyncJob {
            CloudSyncJob(configuration: name, servicePrincipalId: "sp-\(name)", id: "\(template).\(name)", templateId: template,
                         scheduleState: schedule, statusCode: code, successiveFailures: failures, quarantineReason: "TooManyDeletes",
                         lastExecutionError: "AgentUnreachable: no agent",
                         lastSuccessEnded: lastSuccessAgo.map { Fixture.asOf.addingTimeInterval(-$0) })
        }
        func codes(_ jobs: [CloudSyncJob]) -> [FindingCode] { Fixture.codes([], [], tenant: TenantFacts(cloudSyncJobs: jobs)) }
        #expect(codes([job("healthy")]).isEmpty)
        #expect(codes([job("fresh", code: "NotRun", lastSuccessAgo: nil)]).isEmpty, "a new configuration has not run yet")
        // Quarantine wins over everything else the job shows.
        #expect(codes([job("q", schedule: "Paused", code: "Quarantine", failures: 9, lastSuccessAgo: 86_400)]) == [.cloudSyncPHSQuarantined])
        #expect(codes([job("p", schedule: "Paused", failures: 3)]) == [.cloudSyncPHSPaused])
        #expect(codes([job("d", schedule: "Disabled")]) == [.cloudSyncPHSPaused])
        #expect(codes([job("f", failures: 1)]) == [.cloudSyncPHSFailing])
        #expect(codes([job("exactly", lastSuccessAgo: 3 * 3600)]).isEmpty, "exactly --max-cloud-sync-age is not stale")
        #expect(codes([job("s", lastSuccessAgo: 3 * 3600 + 1)]) == [.cloudSyncPHSStale])
        #expect(codes([job("never", lastSuccessAgo: nil)]) == [.cloudSyncPHSStale])
        // The user and group job is not password hash sync.
        #expect(codes([job("prov", template: "AD2AADProvisioning", code: "Quarantine")]).isEmpty)
        let result = Audit.run(directory: [], cloud: [], tenant: TenantFacts(cloudSyncJobs: [job("contoso.com", failures: 4)]), settings: Fixture.settings())
        #expect(result.findings.first?.message.contains("contoso.com") == true)
        #expect(result.findings.first?.message.contains("4 times in a row; the last run failed with AgentUnreachable: no agent") == true)
        #expect(result.findings.first?.scope == .tenant && result.findings.first?.severity == .error)
        // Graph's values are compared ignoring case; two configurations failing alike are two findings to --history.
        #expect(codes([job("lower", code: "quarantine")]) == [.cloudSyncPHSQuarantined])
        let two = Audit.run(directory: [], cloud: [], tenant: TenantFacts(cloudSyncJobs: [job("a", failures: 1), job("b", failures: 2)]),
                            settings: Fixture.settings()).findings
        #expect(two.count == 2 && Set(two.map(\.identity)).count == 2)
    }

    @Test("Tenant facts: a --tenant file's facts go over Graph's, the rest stays")
    func tenantMerge() {
        let graph = TenantFacts(lastPasswordSyncDateTime: Fixture.asOf, onPremisesSyncEnabled: true, cloudSyncJobs: [])
        let file = TenantFacts(passwordSyncEnabled: false, userForcePasswordChangeOnLogonEnabled: true)
        let merged = graph.merging(file)
        #expect(merged.passwordSyncEnabled == false && merged.userForcePasswordChangeOnLogonEnabled == true)
        #expect(merged.lastPasswordSyncDateTime == Fixture.asOf && merged.onPremisesSyncEnabled == true && merged.cloudSyncJobs == [])
        #expect(graph.merging(nil) == graph)
    }

    @Test("asOf: option, then the export's own time, then the newest in the export")
    func asOf() {
        let a = Date(timeIntervalSince1970: 1), b = Date(timeIntervalSince1970: 2), c = Date(timeIntervalSince1970: 3)
        #expect(Audit.resolveAsOf(option: a, exportTime: b, newestInExport: c)! == (a, .option))
        #expect(Audit.resolveAsOf(option: nil, exportTime: b, newestInExport: c)! == (b, .graph))
        #expect(Audit.resolveAsOf(option: nil, exportTime: nil, newestInExport: c)! == (c, .inferred))
        #expect(Audit.resolveAsOf(option: nil, exportTime: nil, newestInExport: nil) == nil)
    }
}
