import Foundation
import LDAPClient
import SyncAudit
import Testing
@testable import ActiveDirectory

@Suite("DirectoryUser from an LDAP entry")
struct DirectoryUserMappingTests {
    static let dn = "CN=Alice Example,OU=Sales,DC=example,DC=com"
    static let guid = hex("d5068b4f312a4843b82c305c2b9c0e44")
    static let sid = hex("01 05 000000000005 15000000 c7f7fed7 7c7755c8 945ace01 f5030000")

    /// A complete, well-formed user as AD returns it.
    static func complete() -> [String: [Data]] {
        [
            "distinguishedName": [utf8(dn)],
            "sAMAccountName": [utf8("alice")],
            "userPrincipalName": [utf8("alice@example.com")],
            "objectGUID": [guid],
            "mS-DS-ConsistencyGuid": [guid],
            "objectSid": [sid],
            "pwdLastSet": [utf8("133540023670000000")],
            "userAccountControl": [utf8("66048")],
            "accountExpires": [utf8("9223372036854775807")],
            "msDS-User-Account-Control-Computed": [utf8("16")],
            "whenChanged": [utf8("20240506070809.0Z")],
            "uSNChanged": [utf8("12346")],
            "adminDescription": [utf8("PHSFiltered")],
            "replPropertyMetaData": [hex(ReplPropertyMetaDataTests.twoEntriesHex)],
            "objectClass": ["top", "person", "organizationalPerson", "user"].map(utf8),
        ]
    }

    static func user(_ change: (inout [String: [Data]]) -> Void = { _ in }) -> DirectoryUser {
        var attributes = complete()
        change(&attributes)
        return DirectoryUser(entry: LDAPEntry(dn: dn, attributes: attributes))
    }

    @Test func completeUser() throws {
        let user = Self.user()
        #expect(user.notes == [])
        #expect(user.distinguishedName == Self.dn)
        #expect(user.samAccountName == "alice")
        #expect(user.userPrincipalName == "alice@example.com")
        #expect(user.objectGUID?.uuidString == "4f8b06d5-2a31-4348-b82c-305c2b9c0e44")
        #expect(user.objectGUID?.base64 == "1QaLTzEqSEO4LDBcK5wORA==")
        #expect(user.consistencyGuid == Self.guid)
        #expect(user.objectSid == "S-1-5-21-3623811015-3361044348-30300820-1013")
        #expect(user.pwdLastSet == .set(unix(1_709_528_767), raw: 133_540_023_670_000_000))
        #expect(user.userAccountControl == [.normalAccount, .dontExpirePassword])
        #expect(user.isEnabled)
        #expect(user.accountExpires == nil)
        #expect(user.lockedOut == true)
        #expect(user.passwordExpired == false)
        #expect(user.whenChanged == unix(1_714_979_289))
        #expect(user.uSNChanged == 12346)
        #expect(user.adminDescription == "PHSFiltered")
        #expect(user.structuralClass == "user")
        #expect(!user.isInetOrgPerson)
        #expect(user.unicodePwdLastChanged == unix(1_709_528_767))
    }

    @Test("The structural class: the last objectClass value, inetOrgPerson wherever the server lists it, nil when none")
    func structuralClass() {
        let inet = Self.user { $0["objectClass"] = ["top", "person", "organizationalPerson", "user", "inetOrgPerson"].map(utf8) }
        #expect(inet.structuralClass == "inetOrgPerson" && inet.isInetOrgPerson)
        let unordered = Self.user { $0["objectClass"] = ["inetOrgPerson", "top", "user"].map(utf8) }
        #expect(unordered.isInetOrgPerson)
        let none = Self.user { $0["objectClass"] = nil }
        #expect(none.structuralClass == nil && !none.isInetOrgPerson)
    }

    @Test func attributeNamesAreCaseInsensitive() {
        var upper: [String: [Data]] = [:]
        for (name, values) in Self.complete() { upper[name.uppercased()] = values }
        let user = DirectoryUser(dn: Self.dn, attributes: upper)
        #expect(user.notes == [])
        #expect(user.samAccountName == "alice")
        #expect(user.objectSid == "S-1-5-21-3623811015-3361044348-30300820-1013")
    }

    @Test func minimalUserOfAnOpenLDAPTestDirectory() {
        let user = DirectoryUser(dn: "uid=bob,ou=people,dc=example,dc=org", attributes: [
            "sAMAccountName": [utf8("bob")],
            "objectGUID": [Self.guid],
            "objectSid": [Self.sid],
            "pwdLastSet": [utf8("0")],
            "userAccountControl": [utf8("514")],
        ])
        #expect(user.notes == [])
        #expect(user.pwdLastSet == .mustChange)
        #expect(!user.isEnabled)
        #expect(user.lockedOut == nil)
        #expect(user.accountExpires == nil)
        #expect(user.unicodePwdLastChanged == nil)
        #expect(user.consistencyGuid == nil)
    }

    @Test func missingSamAccountNameUsesTheRDN() {
        let user = DirectoryUser(dn: "CN=Smith\\, John,OU=Sales,DC=example,DC=com", attributes: [
            "objectGUID": [Self.guid], "objectSid": [Self.sid],
            "pwdLastSet": [utf8("0")], "userAccountControl": [utf8("512")],
        ])
        #expect(user.samAccountName == "Smith, John")
        #expect(user.notes == ["sAMAccountName: not returned — used the RDN value \"Smith, John\""])
    }

    @Test func samAccountNameNotUTF8UsesTheRDN() {
        let user = Self.user { $0["sAMAccountName"] = [hex("ff")] }
        #expect(user.samAccountName == "Alice Example")
        #expect(user.notes.count == 2)
        #expect(user.notes[0] == "sAMAccountName: not UTF-8 text (1 byte) — ignored")
    }

    @Test func shortObjectSidIsANote() {
        let user = Self.user { $0["objectSid"] = [hex("01 05 0000000000")] }
        #expect(user.objectSid == nil)
        #expect(user.notes == ["objectSid: 7 bytes, expected at least 8 — ignored"])
    }

    @Test func missingIdentifiersAreNotes() {
        let user = Self.user {
            $0["objectGUID"] = nil
            $0["objectSid"] = nil
        }
        #expect(user.objectGUID == nil)
        #expect(user.objectSid == nil)
        #expect(user.notes == [
            "objectGUID: not returned — cannot match by immutableId of objectGUID",
            "objectSid: not returned — cannot match by sid",
        ])
    }

    @Test func malformedGUID() {
        let user = Self.user { $0["objectGUID"] = [hex("d5068b4f")] }
        #expect(user.objectGUID == nil)
        #expect(user.notes == ["objectGUID: 4 bytes, expected 16 — ignored"])
    }

    @Test func consistencyGuidOfAnotherLengthIsKept() {
        let odd = Data(0..<20)
        let user = Self.user { $0["mS-DS-ConsistencyGuid"] = [odd] }
        #expect(user.consistencyGuid == odd)
        #expect(user.notes == ["mS-DS-ConsistencyGuid: 20 bytes, expected 16 — kept as is"])
    }

    @Test func pwdLastSetStates() {
        #expect(Self.user { $0["pwdLastSet"] = [utf8("0")] }.pwdLastSet == .mustChange)

        let absent = Self.user { $0["pwdLastSet"] = nil }
        #expect(absent.pwdLastSet == .absent)
        #expect(absent.notes.count == 1)
        #expect(absent.notes[0].hasPrefix("pwdLastSet: not returned"))

        let minusOne = Self.user { $0["pwdLastSet"] = [utf8("-1")] }
        #expect(minusOne.pwdLastSet == .absent)
        #expect(minusOne.notes == ["pwdLastSet: -1 is only ever written (meaning \"now\"), a DC never stores it — read as never set"])
    }

    @Test func userAccountControlInSignedForm() {
        let user = Self.user { $0["userAccountControl"] = [utf8("-2147483134")] }
        #expect(user.userAccountControl.rawValue == 0x8000_0202)
        #expect(!user.isEnabled)
        #expect(user.notes == [])
    }

    @Test func userAccountControlMissingOrMalformed() {
        let missing = Self.user { $0["userAccountControl"] = nil }
        #expect(missing.userAccountControl == .normalAccount)
        #expect(missing.notes == ["userAccountControl: not returned — read as an enabled normal account"])

        let malformed = Self.user { $0["userAccountControl"] = [utf8("NORMAL")] }
        #expect(malformed.userAccountControl == .normalAccount)
        #expect(malformed.notes == ["userAccountControl: \"NORMAL\" is not a decimal integer — read as an enabled normal account"])
    }

    @Test func accountExpiresAt() {
        let user = Self.user { $0["accountExpires"] = [utf8("133801632000000000")] }
        #expect(user.accountExpires == unix(1_735_689_600))
        #expect(Self.user { $0["accountExpires"] = [utf8("0")] }.accountExpires == nil)
    }

    @Test func computedFlags() {
        let user = Self.user { $0["msDS-User-Account-Control-Computed"] = [utf8("8388608")] }
        #expect(user.lockedOut == false)
        #expect(user.passwordExpired == true)
        let absent = Self.user { $0["msDS-User-Account-Control-Computed"] = nil }
        #expect(absent.lockedOut == nil)
        #expect(absent.passwordExpired == nil)
        #expect(absent.notes == [])
    }

    @Test func malformedOptionalAttributesAreNotes() {
        let user = Self.user {
            $0["whenChanged"] = [utf8("20241304050607.0Z")]
            $0["uSNChanged"] = [utf8("many")]
            $0["accountExpires"] = [utf8("-7")]
            $0["replPropertyMetaData"] = [hex(ReplPropertyMetaDataTests.twoEntriesHex).prefix(100)]
        }
        #expect(user.whenChanged == nil)
        #expect(user.uSNChanged == nil)
        #expect(user.accountExpires == nil)
        #expect(user.unicodePwdLastChanged == nil)
        #expect(user.notes == [
            "accountExpires: -7 is negative, not a FILETIME — ignored",
            "whenChanged: \"20241304050607.0Z\" has month 13 — ignored",
            "uSNChanged: \"many\" is not a decimal integer — ignored",
            "replPropertyMetaData: 100 bytes, but 2 entries make 112 (truncated) — ignored",
        ])
    }

    @Test func severalValuesOfASingleValuedAttribute() {
        let user = Self.user { $0["sAMAccountName"] = [utf8("alice"), utf8("alice2")] }
        #expect(user.samAccountName == "alice")
        #expect(user.notes == ["sAMAccountName: 2 values for a single-valued attribute — used the first"])
    }

    @Test func emptyEntryNeverCrashes() {
        let user = DirectoryUser(dn: "", attributes: [:])
        #expect(user.samAccountName == "")
        #expect(user.pwdLastSet == .absent)
        #expect(!user.notes.isEmpty)
    }

    @Test(arguments: [Data(), hex("00"), Data(repeating: 0xFF, count: 300)])
    func garbageInEveryAttributeNeverCrashes(value: Data) {
        var attributes: [String: [Data]] = [:]
        for name in UserQuery.attributes { attributes[name] = [value] }
        let user = DirectoryUser(dn: Self.dn, attributes: attributes)
        #expect(user.distinguishedName == Self.dn)
        #expect(!user.notes.isEmpty)
    }
}
