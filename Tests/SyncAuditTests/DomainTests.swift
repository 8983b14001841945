import Foundation
@testable import SyncAudit
import Testing

@Suite("Domains: naming contexts, where a cloud user comes from, orphans only where the run looked")
struct DomainTests {
    @Test("The naming context is the trailing run of DC= components, whatever the spacing and case")
    func namingContexts() {
        #expect(DomainNames.namingContext(ofDN: "CN=a,OU=b,DC=Corp, DC=Example") == "dc=corp,dc=example")
        #expect(DomainNames.dnsName(ofDN: "CN=a,OU=b,DC=child,DC=corp,DC=example") == "child.corp.example")
        // DC= earlier in the DN, or inside a value whose comma is escaped, is not the domain's.
        #expect(DomainNames.namingContext(ofDN: "CN=x,DC=evil,OU=y,DC=corp") == "dc=corp")
        #expect(DomainNames.namingContext(ofDN: #"CN=x\,DC=evil,DC=corp"#) == "dc=corp")
        #expect(DomainNames.namingContext(ofDN: "CN=a,OU=b") == nil)
        #expect(DomainNames.namingContext(ofDN: "") == nil)
    }

    @Test("The ASCII reader of naming contexts agrees with the general one on 20,000 made-up DNs")
    func asciiNamingContextsAgree() {
        var random = SystemRandomNumberGenerator()
        let pieces = ["CN=a", "OU=b", "DC=corp", "dc=Example", " DC = x ", "\\", "\\,", ",", " ", "\t", "DC=", "Dc=q\\", "dC=Z", "=", "x"]
        for _ in 0..<20_000 {
            let dn = (0..<Int.random(in: 0...8, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined(separator: Bool.random(using: &random) ? "," : "")
            #expect(DomainNames.namingContext(ofDN: dn) == DomainNames.generalNamingContext(ofDN: dn), "\(dn)")
        }
    }

    static let corp = DirectoryDomain(name: "corp", namingContext: "DC=corp,DC=example", source: "ldaps://dc1.corp.example")
    static let emea = DirectoryDomain(name: "emea", namingContext: "DC=emea,DC=example", source: "ldaps://dc1.emea.example")

    static func user(_ name: String, guid: Int, domain: String) -> DirectoryUser {
        var user = Fixture.user(name, guid: ObjectGUID(bytes: [UInt8](repeating: UInt8(guid), count: 16)), sid: nil)
        user.domain = domain
        return user
    }

    static func cloud(_ name: String, guid: Int? = nil, dn: String? = nil, domainName: String? = nil) -> CloudUser {
        var cloud = Fixture.cloud(name, immutableId: guid.map { ObjectGUID(bytes: [UInt8](repeating: UInt8($0), count: 16))!.base64 })
        cloud.userPrincipalName = "\(name)@cloud.example"
        cloud.onPremisesDistinguishedName = dn
        cloud.onPremisesDomainName = domainName
        return cloud
    }

    @Test("Unclaimed cloud users: an orphan in a domain read, out of scope in one not read, judged without a domain only when every domain was read")
    func orphans() {
        let directory = [Self.user("alice", guid: 1, domain: "corp")]
        let cloud = [
            Self.cloud("alice", guid: 1),
            Self.cloud("gone", dn: "CN=gone,OU=Staff,DC=corp,DC=example"),      // corp, read: an orphan
            Self.cloud("erik", dn: "CN=erik,OU=Staff,DC=emea,DC=example"),      // emea
            Self.cloud("olaf", domainName: "Fabrikam.Example"),                  // not in the run
            Self.cloud("nobody"),                                                // names no domain
        ]
        let settings = Fixture.settings()
        let both = Audit.run(directory: directory, cloud: cloud, domains: [Self.corp, Self.emea], settings: settings)
        #expect(both.findings.filter { $0.code == .orphanedCloudUser }.map { $0.cloudUser?.onPremisesSamAccountName }
                == ["erik", "gone", "nobody"])
        #expect(both.findings.first { $0.cloudUser?.onPremisesSamAccountName == "gone" }?.domain == "corp")
        #expect(both.findings.first { $0.cloudUser?.onPremisesSamAccountName == "nobody" }?.domain == nil)
        #expect(both.domains.map(\.name) == ["corp", "emea", "fabrikam.example"])
        #expect(both.domains.map(\.status) == [.read, .read, .notRead])
        #expect(both.domains.map(\.cloudUsersOutOfScope) == [0, 0, 1])
        #expect(both.domains[0].directoryUsers == 1 && both.domains[0].matched == 1 && both.domains[0].inSync == 1)
        #expect(both.domains[0].warnings == 1 && both.domains[1].warnings == 1)

        // emea could not be read: its user is counted, not judged, and so is the one naming no domain.
        var unread = Self.emea
        unread.failure = "cannot reach ldaps://dc1.emea.example"
        let partial = Audit.run(directory: directory, cloud: cloud, domains: [Self.corp, unread], settings: settings)
        #expect(partial.findings.filter { $0.code == .orphanedCloudUser }.map { $0.cloudUser?.onPremisesSamAccountName } == ["gone"])
        let missing = partial.findings.filter { $0.code == .domainUnreachable }
        #expect(missing.map(\.domain) == ["emea"] && missing.first?.scope == .domain && missing.first?.severity == .error)
        #expect(missing.first?.message.contains("its 1 synced cloud user was not judged") == true, "\(missing.first?.message ?? "")")
        #expect(partial.domains.map(\.status) == [.read, .unreachable, .notRead])
        #expect(partial.domains[1].cloudUsersOutOfScope == 1 && partial.domains[1].errors == 1)
        #expect(partial.warnings.map(\.code).contains(.cloudDomainUnknown))
        #expect(missing.first?.identity == "domain-unreachable|domain:emea")

        // No domains named: every unclaimed synced cloud user is judged, as before.
        let unscoped = Audit.run(directory: directory, cloud: cloud, settings: settings)
        #expect(unscoped.findings.filter { $0.code == .orphanedCloudUser }.count == 4)
        #expect(unscoped.domains.isEmpty)
    }

    @Test("A UPN that matches users of two domains is ambiguous for both; the same domain twice is refused")
    func acrossDomains() throws {
        var corpUser = Self.user("dup", guid: 1, domain: "corp")
        var emeaUser = Self.user("dup", guid: 2, domain: "emea")
        corpUser.userPrincipalName = "dup@shared.example"
        emeaUser.userPrincipalName = "dup@shared.example"
        var cloud = Self.cloud("dup")
        cloud.userPrincipalName = "dup@shared.example"
        let result = Audit.run(directory: [corpUser, emeaUser], cloud: [cloud], domains: [Self.corp, Self.emea], settings: Fixture.settings())
        #expect(result.findings.filter { $0.code == .ambiguousMatch }.map(\.domain).sorted { ($0 ?? "") < ($1 ?? "") } == ["corp", "emea"])

        var again = Self.emea
        again.namingContext = "dc=corp, dc=example"
        #expect(throws: AuditRefusal.sameDomainTwice(first: "corp", second: "emea", namingContext: "dc=corp, dc=example")) {
            try Audit.judge(directory: [corpUser], cloud: [cloud], domains: [Self.corp, again], settings: Fixture.settings())
        }
    }
}
