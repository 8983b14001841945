import Foundation
import SyncAudit
import Testing

/// The rules of issue 14: selective PHS in both modes, a cloud password newer than the
/// on-premises one, an account expired on-premises, smart card required, and inetOrgPerson.
@Suite("PHS scope, expiry, smart card and cloud-side changes")
struct ScopeRuleTests {
    static let hour: TimeInterval = 3600
    /// A password changed two hours before the export that the cloud does not have.
    static let changed = PasswordLastSet.set(Fixture.asOf.addingTimeInterval(-2 * hour), raw: 1)
    static let stale = Fixture.asOf.addingTimeInterval(-30 * hour)

    static func codes(_ user: DirectoryUser, _ cloud: CloudUser? = Fixture.cloud(lastChange: stale),
                      mode: SelectivePHS = .exclude) -> [FindingCode] {
        var settings = Fixture.settings()
        settings.selectivePHS = mode
        return Audit.run(directory: [user], cloud: cloud.map { [$0] } ?? [Fixture.cloud("other", immutableId: nil)],
                         settings: settings).findings.filter { $0.scope == .user && $0.directoryUser != nil }.map(\.code)
    }

    struct Selective: CustomTestStringConvertible, Sendable {
        var mode: SelectivePHS
        var adminDescription: String?
        var excluded: Bool
        var testDescription: String { "\(mode) mode, adminDescription \(adminDescription ?? "unset")" }
    }

    /// The values compare exactly, as the sync rules' EQUAL/NOTEQUAL are documented: a value
    /// spelt otherwise is judged, never quietly excluded.
    static let selective: [Selective] = [
        .init(mode: .exclude, adminDescription: nil, excluded: false),
        .init(mode: .exclude, adminDescription: "PHSFiltered", excluded: true),
        .init(mode: .exclude, adminDescription: "phsfiltered", excluded: false),
        .init(mode: .exclude, adminDescription: "PHSIncluded", excluded: false),
        .init(mode: .include, adminDescription: nil, excluded: true),
        .init(mode: .include, adminDescription: "PHSIncluded", excluded: false),
        .init(mode: .include, adminDescription: "PHSFiltered", excluded: true),
        .init(mode: .include, adminDescription: "phsincluded", excluded: true),
        .init(mode: .off, adminDescription: "PHSFiltered", excluded: false),
        .init(mode: .off, adminDescription: nil, excluded: false),
    ]

    @Test("Selective PHS: an excluded user is phs-excluded, never password-not-synced", arguments: selective)
    func selectivePHS(_ c: Selective) {
        let user = Fixture.user(pwdLastSet: Self.changed, adminDescription: c.adminDescription)
        #expect(Self.codes(user, mode: c.mode) == (c.excluded ? [.phsExcluded] : [.passwordNotSynced]))
        // Excluded and not in the cloud at all: still only phs-excluded.
        if c.excluded { #expect(Self.codes(user, nil, mode: c.mode) == [.phsExcluded]) }
    }

    @Test("Include mode: the message says which value is missing; a disabled user is only the state mismatch")
    func includeMode() throws {
        var settings = Fixture.settings()
        settings.selectivePHS = .include
        let user = Fixture.user(pwdLastSet: Self.changed, adminDescription: "Staff")
        let finding = try #require(Audit.run(directory: [user], cloud: [Fixture.cloud(lastChange: Self.stale)], settings: settings).findings.first)
        #expect(finding.message == "alice is not marked PHSIncluded (adminDescription is Staff): selective password hash sync in include mode leaves its password out.")
        let disabled = Fixture.user(pwdLastSet: Self.changed, enabled: false)
        #expect(Self.codes(disabled, mode: .include) == [.accountStateMismatch])
    }

    @Test("Cloud password newer than on-premises: beyond --grace only")
    func cloudNewer() throws {
        let onPrem = Fixture.asOf.addingTimeInterval(-30 * Self.hour)
        let user = Fixture.user(pwdLastSet: .set(onPrem, raw: 1))
        let grace = AuditSettings.defaultGrace
        #expect(Self.codes(user, Fixture.cloud(lastChange: onPrem.addingTimeInterval(grace))) == [])
        #expect(Self.codes(user, Fixture.cloud(lastChange: onPrem.addingTimeInterval(grace + 1))) == [.cloudPasswordNewer])
        let result = Audit.run(directory: [user], cloud: [Fixture.cloud(lastChange: onPrem.addingTimeInterval(5 * Self.hour))], settings: Fixture.settings())
        let finding = try #require(result.findings.first)
        #expect(finding.message.contains("5 h after the on-premises one"))
        // The passwords differ: the user is not counted in sync.
        #expect(result.inSync == 0)
    }

    @Test("Expired on-premises and enabled (or not known disabled) in the cloud: a warning; the password is still judged")
    func expired() {
        var user = Fixture.user(pwdLastSet: Self.changed)
        user.accountExpires = Fixture.asOf.addingTimeInterval(-Self.hour)
        #expect(Self.codes(user) == [.passwordNotSynced, .expiredOnPremises])
        #expect(Self.codes(user, Fixture.cloud(lastChange: Fixture.asOf.addingTimeInterval(-Self.hour))) == [.expiredOnPremises])
        var unknown = Fixture.cloud(lastChange: Fixture.asOf.addingTimeInterval(-Self.hour))
        unknown.accountEnabled = nil
        #expect(Self.codes(user, unknown) == [.expiredOnPremises])
        // Blocked in the cloud already: the state mismatch says what is wrong, not the expiry.
        #expect(Self.codes(user, Fixture.cloud(lastChange: Fixture.asOf.addingTimeInterval(-Self.hour), enabled: false)) == [.accountStateMismatch])
        // Expiring at the directory's time counts; later does not.
        var inSync = Fixture.user()
        inSync.accountExpires = Fixture.asOf
        #expect(Self.codes(inSync, Fixture.cloud()) == [.expiredOnPremises])
        inSync.accountExpires = Fixture.asOf.addingTimeInterval(1)
        #expect(Self.codes(inSync, Fixture.cloud()) == [])
        // Disabled on-premises: the state mismatch alone.
        var disabled = Fixture.user(pwdLastSet: Self.changed, enabled: false)
        disabled.accountExpires = Fixture.asOf.addingTimeInterval(-Self.hour)
        #expect(Self.codes(disabled) == [.accountStateMismatch])
    }

    @Test("Expiry is judged at the directory read's time when it is known")
    func expiryAtDirectoryRead() {
        var user = Fixture.user()
        user.accountExpires = Fixture.asOf.addingTimeInterval(Self.hour)
        var settings = Fixture.settings()
        settings.directoryReadAt = Fixture.asOf.addingTimeInterval(2 * Self.hour)
        #expect(Audit.run(directory: [user], cloud: [Fixture.cloud()], settings: settings).findings.map(\.code) == [.expiredOnPremises])
    }

    @Test("Smart card required: info for a matched user in scope; nothing more when excluded or unmatched")
    func smartCard() {
        var user = Fixture.user()
        user.userAccountControl.insert(.smartcardRequired)
        #expect(Self.codes(user, Fixture.cloud()) == [.smartcardRequired])
        // The random password did not arrive: the error, with the reason beside it.
        var changed = user
        changed.pwdLastSet = Self.changed
        #expect(Self.codes(changed) == [.passwordNotSynced, .smartcardRequired])
        var filtered = user
        filtered.adminDescription = "PHSFiltered"
        #expect(Self.codes(filtered, Fixture.cloud()) == [.phsExcluded])
        #expect(Self.codes(user, nil) == [.notInCloud])
    }

    @Test("inetOrgPerson: a warning, and its password still judged")
    func inetOrgPerson() {
        var user = Fixture.user()
        user.structuralClass = "inetOrgPerson"
        #expect(Self.codes(user, Fixture.cloud()) == [.phsUnsupportedObject])
        var changed = user
        changed.pwdLastSet = Self.changed
        #expect(Self.codes(changed) == [.passwordNotSynced, .phsUnsupportedObject])
        var filtered = user
        filtered.adminDescription = "PHSFiltered"
        #expect(Self.codes(filtered, Fixture.cloud()) == [.phsExcluded])
        var disabled = user
        disabled.userAccountControl.insert(.accountDisable)
        #expect(Self.codes(disabled, Fixture.cloud(enabled: false)) == [])
        var plain = Fixture.user()
        plain.structuralClass = "user"
        #expect(Self.codes(plain, Fixture.cloud()) == [])
    }

    @Test("explain shows each new finding at its own step")
    func steps() throws {
        var expired = Fixture.user("expired")
        expired.accountExpires = Fixture.asOf.addingTimeInterval(-Self.hour)
        var smart = Fixture.user("smart")
        smart.userAccountControl.insert(.smartcardRequired)
        var inet = Fixture.user("inet")
        inet.structuralClass = "inetOrgPerson"
        let newer = Fixture.user("newer", pwdLastSet: .set(Self.stale, raw: 1))
        let cases: [(DirectoryUser, CloudUser, RuleStep, FindingCode)] = [
            (expired, Fixture.cloud("expired"), .accountExpiry, .expiredOnPremises),
            (smart, Fixture.cloud("smart"), .smartCard, .smartcardRequired),
            (inet, Fixture.cloud("inet"), .phsScope, .phsUnsupportedObject),
            (newer, Fixture.cloud("newer", lastChange: Fixture.asOf), .password, .cloudPasswordNewer),
        ]
        for (user, cloud, step, code) in cases {
            let result = try Audit.judge(directory: [user], cloud: [cloud], settings: Fixture.settings(), explaining: [0])
            let explanation = Explanation(result, index: 0, directory: [user])
            let found = explanation.steps.first { if case .finding(let f) = $0.outcome { f.code == code } else { false } }
            #expect(found?.rule == step, "\(code)")
            #expect(!(found?.facts.isEmpty ?? true))
        }
    }
}
