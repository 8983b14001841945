public import Foundation
public import LDAPClient

/// The RootDSE of a directory server: the entry with the empty DN that says what the server
/// holds and supports (RFC 4512 5.1; [MS-ADTS] 3.1.1.3.2 for AD's attributes).
public struct RootDSE: Sendable, Hashable {
    public var defaultNamingContext: String?
    public var rootDomainNamingContext: String?
    public var configurationNamingContext: String?
    public var schemaNamingContext: String?
    public var namingContexts: [String]
    public var dnsHostName: String?
    public var serverName: String?
    public var dsServiceName: String?
    public var ldapServiceName: String?
    public var supportedControl: [String]
    public var supportedExtension: [String]
    public var supportedSASLMechanisms: [String]
    public var supportedLDAPVersion: [String]
    public var supportedCapabilities: [String]
    public var domainFunctionality: Int?
    public var forestFunctionality: Int?
    public var domainControllerFunctionality: Int?
    public var isGlobalCatalogReady: Bool?
    public var isSynchronized: Bool?
    public var currentTime: Date?
    public var highestCommittedUSN: Int64?
    public var vendorName: String?
    public var vendorVersion: String?

    /// The attributes requested (OpenLDAP returns operational attributes only by name).
    public static let attributes = [
        "defaultNamingContext", "rootDomainNamingContext", "configurationNamingContext",
        "schemaNamingContext", "namingContexts", "dnsHostName", "serverName", "dsServiceName",
        "ldapServiceName", "supportedControl", "supportedExtension", "supportedSASLMechanisms",
        "supportedLDAPVersion", "supportedCapabilities", "domainFunctionality",
        "forestFunctionality", "domainControllerFunctionality", "isGlobalCatalogReady",
        "isSynchronized", "currentTime", "highestCommittedUSN", "vendorName", "vendorVersion",
    ]

    /// The paged results control (RFC 2696).
    public static let pagedResultsControl = "1.2.840.113556.1.4.319"
    /// `LDAP_CAP_ACTIVE_DIRECTORY_OID`: the server is an AD DS domain controller (Samba's too).
    public static let activeDirectoryCapability = "1.2.840.113556.1.4.800"

    /// Reads the RootDSE: a base search on `""` with `(objectClass=*)`, no paging.
    public static func read(from directory: some DirectorySearching) throws -> RootDSE {
        var found: LDAPEntry?
        try directory.search(base: "", scope: .base, filter: "(objectClass=*)", attributes: attributes,
                             pageSize: nil, onPage: { _ in }, onEntry: { found = $0 })
        guard let found else {
            throw ActiveDirectoryError(kind: .noRootDSE, server: directory.url,
                                       message: "\(directory.url) returned no RootDSE (the empty-DN entry); is it an LDAP directory server?")
        }
        return RootDSE(entry: found)
    }

    public init(entry: LDAPEntry) {
        func string(_ name: String) -> String? {
            entry.string(name).flatMap { $0.isEmpty ? nil : $0 }
        }
        func int(_ name: String) -> Int? { string(name).flatMap { Int($0) } }
        func bool(_ name: String) -> Bool? {
            switch string(name)?.uppercased() {
            case "TRUE": true
            case "FALSE": false
            default: nil
            }
        }
        defaultNamingContext = string("defaultNamingContext")
        rootDomainNamingContext = string("rootDomainNamingContext")
        configurationNamingContext = string("configurationNamingContext")
        schemaNamingContext = string("schemaNamingContext")
        namingContexts = entry.strings("namingContexts")
        dnsHostName = string("dnsHostName")
        serverName = string("serverName")
        dsServiceName = string("dsServiceName")
        ldapServiceName = string("ldapServiceName")
        supportedControl = entry.strings("supportedControl")
        supportedExtension = entry.strings("supportedExtension")
        supportedSASLMechanisms = entry.strings("supportedSASLMechanisms")
        supportedLDAPVersion = entry.strings("supportedLDAPVersion")
        supportedCapabilities = entry.strings("supportedCapabilities")
        domainFunctionality = int("domainFunctionality")
        forestFunctionality = int("forestFunctionality")
        domainControllerFunctionality = int("domainControllerFunctionality")
        isGlobalCatalogReady = bool("isGlobalCatalogReady")
        isSynchronized = bool("isSynchronized")
        currentTime = string("currentTime").flatMap { try? GeneralizedTime.parse($0, attribute: "currentTime") }
        highestCommittedUSN = string("highestCommittedUSN").flatMap { Int64($0) }
        vendorName = string("vendorName")
        vendorVersion = string("vendorVersion")
    }

    /// Where users are searched by default: `defaultNamingContext`, else the only naming
    /// context when the server has exactly one (an OpenLDAP test directory).
    public var namingContext: String? {
        if let defaultNamingContext { return defaultNamingContext }
        let contexts = namingContexts.filter { !$0.isEmpty }
        return contexts.count == 1 ? contexts[0] : nil
    }

    /// The server says it is an AD domain controller (Windows or Samba).
    public var isActiveDirectory: Bool { supportedCapabilities.contains(Self.activeDirectoryCapability) }

    /// The server lists the paged results control. (OpenLDAP supports it without always
    /// listing it to anonymous clients; treat `false` as "unknown".)
    public var supportsPagedResults: Bool { supportedControl.contains(Self.pagedResultsControl) }

    /// Whether the server offers `mechanism` for SASL binds (case-insensitive).
    public func supportsSASL(_ mechanism: String) -> Bool {
        supportedSASLMechanisms.contains { $0.caseInsensitiveCompare(mechanism) == .orderedSame }
    }
}
