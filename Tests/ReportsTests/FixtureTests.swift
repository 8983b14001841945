import Foundation
import SyncAudit
import Testing

@Suite("The fixture covers what the reports must show")
struct FixtureTests {
    @Test("Every code but phs-disabled, tenant findings, a hostile name, statuses")
    func coverage() {
        let report = ReportFixture.full
        let codes = Set(report.findings.map(\.code))
        #expect(codes == Set(FindingCode.allCases).subtracting([.phsDisabled]))
        #expect(report.findings.contains { $0.scope == .tenant })
        #expect(report.findings.contains { $0.directoryUser?.samAccountName == ReportFixture.hostileName })
        #expect(report.findings.allSatisfy { $0.status != nil })
        #expect(report.findings.count == 24)
        #expect(report.result.oldestNotSyncedAge == TimeInterval(9 * 86_400 + 2 * 3600))
    }

    @Test("The clean report has no findings")
    func clean() {
        #expect(ReportFixture.clean.findings.isEmpty)
        #expect(ReportFixture.clean.result.inSync == 3)
    }
}
