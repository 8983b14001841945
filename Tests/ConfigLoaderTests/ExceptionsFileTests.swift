@testable import ConfigLoader
import Foundation
import SyncAudit
import Testing

@Suite("Exceptions file")
struct ExceptionsFileTests {
    @Test("entries by user and by DN pattern, each expiring the day after its last day")
    func reads() throws {
        let text = """
            # accepted findings
            exceptions:
              - code: password-not-synced
                user: Alice
                reason: "Leaver: mail kept until the HR case closes (CHG-1234)"
                expires: 2026-12-31
              - code: phs-excluded
                dn: "*,OU=Service Accounts,DC=corp,DC=example"
                reason: Service accounts never sign in to the cloud
                expires: 2027-06-30
            """
        let exceptions = try ExceptionsFile.parse(text, path: "ex.yaml")
        #expect(exceptions.count == 2)
        #expect(exceptions[0].code == .passwordNotSynced)
        #expect(exceptions[0].subject == .user("Alice"))
        #expect(exceptions[0].expires == Timestamp.parse("2027-01-01T00:00:00Z"))
        #expect(exceptions[0].place == "ex.yaml line 3")
        #expect(exceptions[1].subject == .distinguishedName("*,OU=Service Accounts,DC=corp,DC=example"))
        #expect(try ExceptionsFile.parse("# nothing yet\n", path: "ex.yaml").isEmpty)
        #expect(try ExceptionsFile.parse("exceptions:\n", path: "ex.yaml").isEmpty)
    }

    @Test("each mistake names the file, the line and the fix, and never quotes a value", arguments: [
        ("exceptions:\n  - code: password-not-synce\n    user: a\n    reason: r\n    expires: 2026-12-31\n",
         "ex.yaml:2: code is not a finding code; did you mean password-not-synced?"),
        ("exceptions:\n  - code: phs-stopped\n    user: a\n    reason: r\n    expires: 2026-12-31\n",
         "ex.yaml:2: phs-stopped is about the tenant, not a user: only user findings can be accepted"),
        ("exceptions:\n  - code: not-in-cloud\n    reason: r\n    expires: 2026-12-31\n",
         "ex.yaml:2: this exception names nobody: add user"),
        ("exceptions:\n  - code: not-in-cloud\n    user: a\n    dn: b\n    reason: r\n    expires: 2026-12-31\n",
         "ex.yaml:2: give user or dn, not both"),
        ("exceptions:\n  - code: not-in-cloud\n    user: a\n    expires: 2026-12-31\n",
         "ex.yaml:2: this exception has no reason"),
        ("exceptions:\n  - code: not-in-cloud\n    user: a\n    reason: r\n",
         "ex.yaml:2: this exception has no expires"),
        ("exceptions:\n  - code: not-in-cloud\n    user: a\n    reason: r\n    expires: 31.12.2026\n",
         "ex.yaml:5: expires is the last day the exception applies, as YYYY-MM-DD"),
        ("exceptions:\n  - code: not-in-cloud\n    user: a\n    reason: r\n    expiry: 2026-12-31\n",
         "ex.yaml:5: an exception takes code, user or dn, reason and expires; did you mean expires?"),
        ("- code: not-in-cloud\n", "ex.yaml:1: an exceptions file is one list under `exceptions:`"),
        ("exceptions:\n  - code: [x\n", "ex.yaml:3:1: not valid YAML"),
    ])
    func refuses(_ text: String, _ expected: String) {
        #expect(throws: ConfigError.self) { try ExceptionsFile.parse(text, path: "ex.yaml") }
        do {
            _ = try ExceptionsFile.parse(text, path: "ex.yaml")
        } catch {
            #expect(error.message.hasPrefix(expected) || error.message.contains(expected), "\(error.message)")
            #expect(!error.message.contains("31.12.2026"))
        }
    }
}
