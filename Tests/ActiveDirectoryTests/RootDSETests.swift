import Foundation
import LDAPClient
import Testing
@testable import ActiveDirectory

@Suite("RootDSE")
struct RootDSETests {
    /// Shaped like Samba 4.17's RootDSE.
    static let samba = LDAPEntry(dn: "", attributes: [
        "defaultNamingContext": [utf8("DC=example,DC=com")],
        "rootDomainNamingContext": [utf8("DC=example,DC=com")],
        "configurationNamingContext": [utf8("CN=Configuration,DC=example,DC=com")],
        "schemaNamingContext": [utf8("CN=Schema,CN=Configuration,DC=example,DC=com")],
        "namingContexts": [utf8("DC=example,DC=com"), utf8("CN=Configuration,DC=example,DC=com"),
                           utf8("CN=Schema,CN=Configuration,DC=example,DC=com")],
        "dnsHostName": [utf8("dc1.example.com")],
        "serverName": [utf8("CN=DC1,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=example,DC=com")],
        "supportedControl": [utf8("1.2.840.113556.1.4.319"), utf8("1.2.840.113556.1.4.801")],
        "supportedSASLMechanisms": [utf8("GSS-SPNEGO"), utf8("GSSAPI"), utf8("NTLM")],
        "supportedLDAPVersion": [utf8("2"), utf8("3")],
        "supportedCapabilities": [utf8("1.2.840.113556.1.4.800"), utf8("1.2.840.113556.1.4.1670")],
        "domainFunctionality": [utf8("4")],
        "forestFunctionality": [utf8("4")],
        "domainControllerFunctionality": [utf8("4")],
        "isGlobalCatalogReady": [utf8("TRUE")],
        "isSynchronized": [utf8("FALSE")],
        "currentTime": [utf8("20240304050607.0Z")],
        "highestCommittedUSN": [utf8("4123")],
    ])

    @Test func readsWithABaseSearchWithoutPaging() throws {
        let directory = InMemoryDirectory()
        directory.rootDSE = Self.samba
        let root = try RootDSE.read(from: directory)
        #expect(directory.requests == [.init(base: "", scope: .base, filter: "(objectClass=*)",
                                             attributes: RootDSE.attributes, pageSize: nil)])
        #expect(root.defaultNamingContext == "DC=example,DC=com")
        #expect(root.namingContext == "DC=example,DC=com")
        #expect(root.namingContexts.count == 3)
        #expect(root.dnsHostName == "dc1.example.com")
        #expect(root.serverName?.hasPrefix("CN=DC1,") == true)
        #expect(root.isActiveDirectory)
        #expect(root.supportsPagedResults)
        #expect(root.supportsSASL("gssapi"))
        #expect(!root.supportsSASL("EXTERNAL"))
        #expect(root.supportedLDAPVersion == ["2", "3"])
        #expect(root.domainFunctionality == 4)
        #expect(root.isGlobalCatalogReady == true)
        #expect(root.isSynchronized == false)
        #expect(root.currentTime == unix(1_709_528_767))
        #expect(root.highestCommittedUSN == 4123)
    }

    @Test func openLDAPHasOnlyNamingContexts() {
        let root = RootDSE(entry: LDAPEntry(dn: "", attributes: [
            "namingContexts": [utf8("dc=example,dc=org")],
            "supportedLDAPVersion": [utf8("3")],
        ]))
        #expect(root.defaultNamingContext == nil)
        #expect(root.namingContext == "dc=example,dc=org")
        #expect(!root.isActiveDirectory)
    }

    @Test func severalContextsAndNoDefaultIsNoGuess() {
        let root = RootDSE(entry: LDAPEntry(dn: "", attributes: [
            "namingContexts": [utf8("dc=a"), utf8("dc=b")],
        ]))
        #expect(root.namingContext == nil)
    }

    @Test func malformedValuesAreNil() {
        let root = RootDSE(entry: LDAPEntry(dn: "", attributes: [
            "domainFunctionality": [utf8("x")], "isSynchronized": [utf8("yes")],
            "currentTime": [utf8("2024")], "highestCommittedUSN": [hex("ff")],
        ]))
        #expect(root.domainFunctionality == nil)
        #expect(root.isSynchronized == nil)
        #expect(root.currentTime == nil)
        #expect(root.highestCommittedUSN == nil)
    }

    @Test func noEntry() {
        let error = #expect(throws: ActiveDirectoryError.self) { try RootDSE.read(from: InMemoryDirectory()) }
        #expect(error?.kind == .noRootDSE)
        #expect(error?.server == "ldap://dc.test")
    }
}
