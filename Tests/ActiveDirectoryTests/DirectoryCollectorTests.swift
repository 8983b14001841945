import Foundation
import LDAPClient
import SyncAudit
import Testing
@testable import ActiveDirectory

@Suite("Collecting users")
struct DirectoryCollectorTests {
    static let domain = "DC=example,DC=com"
    static let sales = "OU=Sales,DC=example,DC=com"
    static let hr = "OU=HR,DC=example,DC=com"

    static func directory(sales count: Int = 5, hr hrCount: Int = 2) -> InMemoryDirectory {
        let d = InMemoryDirectory()
        d.entries[sales] = (0..<count).map { InMemoryDirectory.user("s\($0)", under: sales) }
        d.entries[hr] = (0..<hrCount).map { InMemoryDirectory.user("h\($0)", under: hr) }
        return d
    }

    @Test func streamsUsersPageByPage() throws {
        let directory = Self.directory(sales: 5)
        var progress: [DirectoryCollector.Progress] = []
        var names: [String] = []
        let collector = DirectoryCollector(searchBases: [Self.sales], query: try UserQuery(extraFilter: "(department=Sales)"), pageSize: 2)
        let summary = try collector.collect(from: directory, onProgress: { progress.append($0) }) { names.append($0.samAccountName) }

        #expect(names == ["s0", "s1", "s2", "s3", "s4"])
        #expect(directory.requests == [.init(
            base: Self.sales, scope: .subtree,
            filter: "(&(objectCategory=person)(objectClass=user)(department=Sales))",
            attributes: UserQuery.attributes, pageSize: 2)])
        #expect(progress.map(\.pageInBase) == [1, 2, 3])
        #expect(progress.map(\.users) == [2, 4, 5])
        #expect(progress.map(\.pages) == [1, 2, 3])
        #expect(progress.allSatisfy { $0.base == Self.sales && $0.baseIndex == 1 && $0.baseCount == 1 })
        #expect(summary == .init(bases: [Self.sales], skippedBases: [], users: 5, pages: 3, usersWithNotes: 0))
    }

    @Test func eachUserIsDeliveredBeforeTheNextEntryIsRead() throws {
        let directory = Self.directory(sales: 3)
        var seen: [String] = []
        _ = try DirectoryCollector(searchBases: [Self.sales], pageSize: 2).collect(from: directory) { user in
            // The directory has handed out exactly this entry and not the next one yet.
            #expect(directory.events.last == "entry \(user.distinguishedName)")
            seen.append(user.distinguishedName)
        }
        #expect(seen.count == 3)
    }

    @Test func severalBasesCountPagesAcrossBases() throws {
        let directory = Self.directory(sales: 3, hr: 2)
        var progress: [DirectoryCollector.Progress] = []
        let summary = try DirectoryCollector(searchBases: [Self.sales, Self.hr], pageSize: 2)
            .collect(from: directory, onProgress: { progress.append($0) }) { _ in }
        #expect(progress.map(\.base) == [Self.sales, Self.sales, Self.hr])
        #expect(progress.map(\.baseIndex) == [1, 1, 2])
        #expect(progress.map(\.pages) == [1, 2, 3])
        #expect(progress.map(\.users) == [2, 3, 5])
        #expect(summary.users == 5)
        #expect(summary.pages == 3)
    }

    @Test func overlappingBasesAreSearchedOnce() throws {
        let directory = Self.directory()
        directory.entries[Self.domain] = directory.entries[Self.sales]! + directory.entries[Self.hr]!
        var count = 0
        let summary = try DirectoryCollector(searchBases: [Self.sales, Self.domain, "ou=sales, dc=EXAMPLE,dc=com"])
            .collect(from: directory) { _ in count += 1 }
        #expect(directory.requests.map(\.base) == [Self.domain])
        #expect(count == 7)
        #expect(summary.bases == [Self.domain])
        #expect(summary.skippedBases == [
            .init(base: Self.sales, coveredBy: Self.domain),
            .init(base: "ou=sales, dc=EXAMPLE,dc=com", coveredBy: Self.domain),
        ])
    }

    @Test(arguments: [
        ([sales, hr], [sales, hr]),
        ([sales, sales], [sales]),
        ([sales, "OU=SALES,DC=example,DC=com"], [sales]),
        (["OU=East,OU=Sales,DC=example,DC=com", sales], [sales]),
        ([domain, "DC=example,DC=org"], [domain, "DC=example,DC=org"]),
        (["not a dn", sales], ["not a dn", sales]),
    ])
    func plan(bases: [String], search: [String]) {
        #expect(DirectoryCollector.plan(bases: bases).search == search)
    }

    @Test func defaultBaseIsTheNamingContext() throws {
        let directory = Self.directory()
        directory.rootDSE = LDAPEntry(dn: "", attributes: ["defaultNamingContext": [utf8(Self.sales)]])
        let summary = try DirectoryCollector().collect(from: directory) { _ in }
        #expect(directory.requests.map(\.base) == ["", Self.sales])
        #expect(directory.requests.map(\.pageSize) == [nil, 500])
        #expect(summary.bases == [Self.sales])
        #expect(summary.users == 5)
    }

    @Test func noNamingContext() {
        let directory = Self.directory()
        directory.rootDSE = LDAPEntry(dn: "", attributes: [:])
        let error = #expect(throws: ActiveDirectoryError.self) { try DirectoryCollector().collect(from: directory) { _ in } }
        #expect(error?.kind == .noNamingContext)
        #expect(error?.message.contains("--base-dn") == true)
    }

    @Test func missingSearchBase() {
        let directory = Self.directory()
        let missing = "OU=Gone,DC=example,DC=com"
        directory.errors[missing] = LDAPError(kind: .operationFailed, code: .noSuchObject, operation: "search", message: "No such object")
        let error = #expect(throws: ActiveDirectoryError.self) {
            try DirectoryCollector(searchBases: [missing]).collect(from: directory) { _ in }
        }
        #expect(error?.kind == .noSuchSearchBase)
        #expect(error?.message.contains(missing) == true)
    }

    @Test func otherLDAPErrorsPassThrough() {
        let directory = Self.directory()
        directory.errors[Self.sales] = LDAPError(kind: .timeout, code: .timeLimitExceeded, operation: "search", message: "Time limit exceeded")
        #expect(throws: LDAPError.self) { try DirectoryCollector(searchBases: [Self.sales]).collect(from: directory) { _ in } }
    }

    @Test func anErrorFromTheCallerStopsTheCollection() {
        struct Stop: Error {}
        let directory = Self.directory(sales: 5)
        var delivered = 0
        #expect(throws: Stop.self) {
            try DirectoryCollector(searchBases: [Self.sales]).collect(from: directory) { _ in
                delivered += 1
                if delivered == 2 { throw Stop() }
            }
        }
        #expect(delivered == 2)
    }

    @Test func usersWithNotesAreCounted() throws {
        let directory = InMemoryDirectory()
        directory.entries[Self.sales] = [
            InMemoryDirectory.user("ok", under: Self.sales),
            LDAPEntry(dn: "CN=broken,\(Self.sales)", attributes: ["objectSid": [hex("01")]]),
        ]
        var notes: [[String]] = []
        let summary = try DirectoryCollector(searchBases: [Self.sales]).collect(from: directory) { notes.append($0.notes) }
        #expect(summary.usersWithNotes == 1)
        #expect(notes[0] == [])
        #expect(notes[1].contains("objectSid: 1 byte, expected at least 8 — ignored"))
    }
}
