import Foundation
import SyncAudit
import Testing

@Suite("The fixture covers what the reports must show")
struct FixtureTests {
    /// password-time-ambiguous is a user finding rendered like any other; its rule is proven in
    /// SyncAuditTests ("A cloud time read twice") and the reference comparison.
    @Test("Every code but phs-disabled and password-time-ambiguous, tenant findings, a hostile name, statuses")
    func coverage() {
        let report = ReportFixture.full
        let codes = Set(report.findings.map(\.code))
        #expect(codes == Set(FindingCode.allCases).subtracting([.phsDisabled, .passwordTimeAmbiguous]))
        #expect(report.findings.contains { $0.scope == .tenant })
        #expect(report.findings.contains { $0.directoryUser?.samAccountName == ReportFixture.hostileName })
        #expect(report.findings.allSatisfy { $0.status != nil })
        #expect(report.findings.count == 29)
        // By domain: corp.example's users, emea.corp.example not read, fabrikam.example not in the run.
        let domains = report.result.domains
        #expect(domains.map(\.name) == ["corp.example", "emea.corp.example", "fabrikam.example"])
        #expect(domains.map(\.status) == [.read, .unreachable, .notRead])
        #expect(domains[0].directoryUsers == 24 && domains[0].errors + domains[0].warnings + domains[0].infos == 22)
        #expect(domains[1].cloudUsersOutOfScope == 2 && domains[1].errors == 1)
        #expect(domains[2].cloudUsersOutOfScope == 1)
        #expect(!report.findings.contains { $0.cloudUser?.onPremisesSamAccountName == "sven" || $0.cloudUser?.onPremisesSamAccountName == "ulla" })
        #expect(report.result.oldestNotSyncedAge == TimeInterval(9 * 86_400 + 2 * 3600))
    }

    @Test("The clean report has no findings")
    func clean() {
        #expect(ReportFixture.clean.findings.isEmpty)
        #expect(ReportFixture.clean.result.inSync == 3)
    }
}
