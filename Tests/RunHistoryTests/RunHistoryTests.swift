import Foundation
@testable import RunHistory
import SyncAudit
import Testing

/// Users alice, bob, carol and dave, anchored on their objectGUID; `broken` ones have a password
/// change (two days before `asOf`) that the cloud never got.
enum Fixture {
    static let asOf = Date(timeIntervalSince1970: 1_700_000_000) // 2023-11-14T22:13:20Z
    static let names = ["alice", "bob", "carol", "dave"]

    static func guid(_ name: String) -> ObjectGUID {
        let index = names.firstIndex(of: name) ?? 9
        return ObjectGUID(uuidString: "42a9ee8f-f405-49d4-946c-4e23bfa6f7f\(index)")!
    }

    static func report(broken: Set<String>, asOf: Date = asOf) -> AuditReport {
        let changed = asOf.addingTimeInterval(-2 * 86_400)
        let directory = names.map { name in
            DirectoryUser(distinguishedName: "CN=\(name),OU=Staff,DC=corp,DC=example", samAccountName: name,
                          userPrincipalName: "\(name)@corp.example", objectGUID: guid(name), pwdLastSet: .set(changed, raw: 1))
        }
        let cloud = names.map { name in
            CloudUser(id: "id-\(name)", userPrincipalName: "\(name)@corp.example", accountEnabled: true,
                      lastPasswordChangeDateTime: broken.contains(name) ? changed.addingTimeInterval(-30 * 86_400) : changed,
                      onPremisesImmutableId: guid(name).base64, onPremisesSyncEnabled: true)
        }
        let result = Audit.run(directory: directory, cloud: cloud, settings: AuditSettings(asOf: asOf, asOfSource: .option))
        return AuditReport(
            version: "test", generatedAt: asOf.addingTimeInterval(3600),
            directory: .init(source: "ldap://dc1.corp.example", baseDN: "DC=corp,DC=example", users: directory.count),
            cloud: .init(source: "users.json", format: "graph-json", users: cloud.count), result: result)
    }

    static func status(_ report: AuditReport, _ name: String) -> FindingStatus? {
        report.findings.first { $0.directoryUser?.samAccountName == name }?.status
    }
}

/// A fresh folder for one test's database files, removed afterwards.
final class TemporaryFolder {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("runhistory-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String = "history.sqlite") -> String { path + "/" + name }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

struct InjectedFailure: Error {}

/// Everything a store holds, as comparable text: every run and every finding.
func contents(_ store: RunHistoryStore) throws -> [String] {
    try store.runs().flatMap { run in
        ["\(run)"] + (try store.findings(run: run.id)).map { "  \($0)" }
    }
}

@Suite("Finding statuses")
struct FindingStatusTests {
    @Test("no previous run: every finding is new, nothing resolved")
    func firstRun() {
        let report = FindingStatuses.annotate(Fixture.report(broken: ["alice", "bob"]), previous: [])
        #expect(report.findings.map(\.status) == [.new, .new])
        #expect(report.resolved == 0)
    }

    @Test("same identity persists, a gone one is resolved, an unknown one is new")
    func statuses() {
        let before = Fixture.report(broken: ["alice", "bob"])
        let after = FindingStatuses.annotate(Fixture.report(broken: ["bob", "carol"]), previous: Set(before.findings.map(\.identity)))
        #expect(Fixture.status(after, "bob") == .persisting)
        #expect(Fixture.status(after, "carol") == .new)
        #expect(after.resolved == 1)
    }
}

@Suite("Run history in SQLite")
struct RunHistoryStoreTests {
    @Test("three runs: first seen and runs open carried on, resolved users named, the trend counts each run")
    func firstSeenAndTrend() throws {
        let folder = try TemporaryFolder()
        let store = try RunHistoryStore(path: folder.file())
        let night = { (day: Double) in Fixture.asOf.addingTimeInterval(day * 86_400) }

        let first = try store.record(report: Fixture.report(broken: ["alice", "bob"]), startedAt: night(0))
        #expect(first.report.findings.map(\.runsOpen) == [1, 1])
        #expect(first.report.findings.map(\.firstSeen) == [night(0), night(0)])
        #expect(first.report.history?.resolved == [])

        _ = try store.record(report: Fixture.report(broken: ["alice", "bob", "carol"]), startedAt: night(1))
        // alice is fixed; bob stays (third run), carol stays (second run), dave breaks.
        let third = try store.record(report: Fixture.report(broken: ["bob", "carol", "dave"]), startedAt: night(2))
        let byName = Dictionary(uniqueKeysWithValues: third.report.findings.map { ($0.samAccountName!, $0) })
        #expect(byName["bob"]?.runsOpen == 3 && byName["bob"]?.firstSeen == night(0))
        #expect(byName["carol"]?.runsOpen == 2 && byName["carol"]?.firstSeen == night(1))
        #expect(byName["dave"]?.runsOpen == 1 && byName["dave"]?.firstSeen == night(2) && byName["dave"]?.status == .new)

        let history = try #require(third.report.history)
        #expect(history.resolved.map(\.samAccountName) == ["alice"])
        #expect(history.resolved.first?.firstSeen == night(0))
        #expect(history.resolved.first?.code == "password-not-synced")
        #expect(history.trend.map(\.at) == [night(0), night(1), night(2)])
        #expect(history.trend.map(\.errors) == [2, 3, 3])
        #expect(history.trend.map(\.new) == [2, 1, 1])
        #expect(history.trend.last?.runId == third.id)
    }

    @Test("one user fixed and another broken: resolved 1, one new, the rest persisting")
    func fixedAndBroken() throws {
        let folder = try TemporaryFolder()
        let store = try RunHistoryStore(path: folder.file())

        let first = try store.record(report: Fixture.report(broken: ["alice", "bob"]), startedAt: Fixture.asOf)
        #expect(first.previousRunId == nil)
        #expect(first.new == 2 && first.persisting == 0 && first.resolved == 0)
        #expect(first.report.resolved == 0)

        // alice is fixed, carol breaks, bob stays broken.
        let second = try store.record(report: Fixture.report(broken: ["bob", "carol"]), startedAt: Fixture.asOf)
        #expect(second.previousRunId == first.id)
        #expect(second.report.resolved == 1)
        #expect(second.new == 1)
        #expect(second.persisting == 1)
        #expect(Fixture.status(second.report, "carol") == .new)
        #expect(Fixture.status(second.report, "bob") == .persisting)
        #expect(try store.previousFindings() == Set(second.report.findings.map(\.identity)))

        let diff = try #require(try store.diff())
        #expect(diff.run.id == second.id)
        #expect(diff.previous?.id == first.id)
        #expect(diff.new.map(\.samAccountName) == ["carol"])
        #expect(diff.new.first?.code == "password-not-synced")
        #expect(diff.resolved.map(\.samAccountName) == ["alice"])
        #expect(diff.resolved.first?.userPrincipalName == "alice@corp.example")
        #expect(diff.persisting == 1)

        let runs = try store.runs()
        #expect(runs.map(\.id) == [second.id, first.id])
        let latest = try #require(runs.first)
        #expect(latest.succeeded && latest.failure == nil)
        #expect(latest.asOf == Fixture.asOf && latest.asOfSource == "option")
        #expect(latest.directoryUsers == 4 && latest.cloudUsers == 4 && latest.matched == 4)
        #expect(latest.errors == 2 && latest.warnings == 0 && latest.infos == 0)
        #expect(latest.newFindings == 1 && latest.resolved == 1 && latest.findings == 2)
        #expect(latest.directorySource == "ldap://dc1.corp.example" && latest.cloudFormat == "graph-json")
        #expect(try store.integrityCheck().isEmpty)

        // The first run compared with nothing.
        let firstDiff = try #require(try store.diff(run: first.id))
        #expect(firstDiff.previous == nil && firstDiff.new.count == 2 && firstDiff.resolved.isEmpty)
    }

    @Test("a failed run is recorded on its own and is never the previous run")
    func failedRun() throws {
        let folder = try TemporaryFolder()
        let store = try RunHistoryStore(path: folder.file())
        let first = try store.record(report: Fixture.report(broken: ["alice"]), startedAt: Fixture.asOf)
        let failed = try store.recordFailure(startedAt: Fixture.asOf, message: "cannot reach ldap://dc1", toolVersion: "test")
        let third = try store.record(report: Fixture.report(broken: ["alice"]), startedAt: Fixture.asOf)
        #expect(third.previousRunId == first.id)
        #expect(third.persisting == 1 && third.new == 0 && third.resolved == 0)

        let runs = try store.runs()
        #expect(runs.map(\.succeeded) == [true, false, true])
        #expect(runs[1].id == failed && runs[1].failure == "cannot reach ldap://dc1" && runs[1].findings == 0)
        #expect(runs[1].asOf == nil && runs[1].errors == nil)
        let diff = try #require(try store.diff(run: failed))
        #expect(!diff.run.succeeded && diff.new.isEmpty && diff.resolved.isEmpty)
        // Without --run: the latest successful run.
        #expect(try store.diff()?.run.id == third.id)
    }

    @Test("a run that fails after its rows are inserted leaves the database as it was")
    func failureBeforeCommit() throws {
        let folder = try TemporaryFolder()
        let store = try RunHistoryStore(path: folder.file())
        try store.record(report: Fixture.report(broken: ["alice", "bob"]), startedAt: Fixture.asOf)
        let before = try contents(store)

        var seen: RecordedRun?
        #expect(throws: InjectedFailure.self) {
            try store.record(report: Fixture.report(broken: ["bob", "carol"]), startedAt: Fixture.asOf) { run in
                seen = run
                throw InjectedFailure()   // e.g. the report could not be written
            }
        }
        // The statuses were computed and the rows inserted, then all of it rolled back.
        #expect(seen?.resolved == 1 && seen?.new == 1)
        #expect(try contents(store) == before)
        // Reopened from disk too.
        #expect(try contents(RunHistoryStore(path: folder.file(), access: .readOnly)) == before)
        #expect(try store.integrityCheck().isEmpty)

        // The next run still compares with the first one.
        let next = try store.record(report: Fixture.report(broken: ["bob", "carol"]), startedAt: Fixture.asOf)
        #expect(next.resolved == 1 && next.new == 1 && next.previousRunId == 1)
    }

    @Test("an insert that fails midway through the findings leaves the database as it was")
    func failureMidInsert() throws {
        let folder = try TemporaryFolder()
        let store = try RunHistoryStore(path: folder.file())
        try store.record(report: Fixture.report(broken: ["alice", "bob"]), startedAt: Fixture.asOf)
        try store.recordFailure(startedAt: Fixture.asOf, message: "export unreadable", toolVersion: "test")
        // The second of the two findings (carol's) makes SQLite abort, after the run row and
        // bob's finding went in.
        try store.execute(sql: """
            CREATE TRIGGER injected_failure BEFORE INSERT ON finding
            WHEN NEW.identity LIKE '%\(Fixture.guid("carol").uuidString)%'
            BEGIN SELECT RAISE(ABORT, 'injected failure'); END
            """)
        let before = try contents(store)
        #expect(before.count == 4) // two runs, two findings

        let error = #expect(throws: RunHistoryError.self) {
            try store.record(report: Fixture.report(broken: ["bob", "carol"]), startedAt: Fixture.asOf)
        }
        #expect(error?.message.contains("injected failure") == true)
        #expect(try contents(store) == before)
        #expect(try store.integrityCheck().isEmpty)

        try store.execute(sql: "DROP TRIGGER injected_failure")
        let next = try store.record(report: Fixture.report(broken: ["bob", "carol"]), startedAt: Fixture.asOf)
        #expect(next.id == 3 && next.previousRunId == 1)
    }

    @Test("two stores recording at the same time on two threads: every run lands, in a consistent chain")
    func concurrentRecorders() throws {
        let folder = try TemporaryFolder()
        let path = folder.file()
        let perThread = 15
        let failures = Locked<[String]>([])
        // Both open a file that does not exist yet: creation and migration race too.
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            do {
                let store = try RunHistoryStore(path: path)
                for n in 0..<perThread {
                    let broken: Set<String> = n % 2 == 0 ? ["alice", "bob"] : ["bob", "carol"]
                    try store.record(report: Fixture.report(broken: broken), startedAt: Date())
                    if n % 5 == thread { try store.recordFailure(startedAt: Date(), message: "thread \(thread)", toolVersion: "test") }
                }
            } catch {
                failures.mutate { $0.append("thread \(thread): \(error)") }
            }
        }
        #expect(failures.value.isEmpty)

        let store = try RunHistoryStore(path: path, access: .readOnly)
        #expect(try store.integrityCheck().isEmpty)
        let runs = try store.runs().reversed()
        #expect(runs.filter(\.succeeded).count == 2 * perThread)
        #expect(runs.count(where: { !$0.succeeded }) == 6)
        // Each successful run was compared with the successful run committed just before it,
        // and its statuses agree with that run's findings.
        var previous: RunSummary?
        for run in runs where run.succeeded {
            #expect(run.previousRunId == previous?.id)
            let findings = try store.findings(run: run.id)
            let before = try previous.map { Set(try store.findings(run: $0.id).map(\.identity)) } ?? []
            for finding in findings {
                #expect(finding.status == (before.contains(finding.identity) ? .persisting : .new))
            }
            #expect(run.resolved == before.subtracting(findings.map(\.identity)).count)
            previous = run
        }
    }

    @Test("closing checkpoints the write-ahead log: the history is one file again")
    func closing() throws {
        let folder = try TemporaryFolder()
        let store = try RunHistoryStore(path: folder.file())
        try store.record(report: Fixture.report(broken: ["alice"]), startedAt: Fixture.asOf)
        store.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["history.sqlite"])
        let reader = try RunHistoryStore(path: folder.file(), access: .readOnly)
        #expect(try reader.runs().map(\.findings) == [1])
    }

    @Test("opening: a missing file, a file that is not SQLite, an SQLite file of another program, a missing folder")
    func opening() throws {
        let folder = try TemporaryFolder()
        let missing = folder.file("missing.sqlite")
        let error = #expect(throws: RunHistoryError.self) { try RunHistoryStore(path: missing, access: .readOnly) }
        #expect(error?.message.contains("does not exist") == true)
        #expect(!FileManager.default.fileExists(atPath: missing))

        let text = folder.file("notes.txt")
        try Data(String(repeating: "not a database\n", count: 100).utf8).write(to: URL(fileURLWithPath: text))
        for access in [RunHistoryStore.Access.readOnly, .readWrite] {
            let error = #expect(throws: RunHistoryError.self) { try RunHistoryStore(path: text, access: access) }
            #expect(error?.message.contains("not a phs-check history database") == true)
        }

        let empty = folder.file("empty.sqlite")
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        let emptyError = #expect(throws: RunHistoryError.self) { try RunHistoryStore(path: empty, access: .readOnly) }
        #expect(emptyError?.message.contains("not a phs-check history database") == true)

        // An SQLite file of another program is left alone.
        let foreign = folder.file("foreign.sqlite")
        let other = try RunHistoryStore(path: foreign)
        try other.execute(sql: "DROP TABLE finding; DROP TABLE run; DROP TABLE grdb_migrations; CREATE TABLE notes (body TEXT)")
        other.close()
        let foreignError = #expect(throws: RunHistoryError.self) { try RunHistoryStore(path: foreign) }
        #expect(foreignError?.message.contains("another program") == true)

        let noFolder = #expect(throws: RunHistoryError.self) { try RunHistoryStore(path: folder.path + "/nope/history.sqlite") }
        #expect(noFolder?.message.contains("does not exist") == true)

        let store = try RunHistoryStore(path: folder.file())
        #expect(try store.runs().isEmpty)
        #expect(try store.diff() == nil)
        #expect(try store.previousFindings().isEmpty)
        try store.record(report: Fixture.report(broken: []), startedAt: Fixture.asOf)
        let noRun = #expect(throws: RunHistoryError.self) { try store.diff(run: 7) }
        #expect(noRun?.message.contains("has no run 7; its runs are 1") == true)
    }
}

final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: Value
    init(_ value: Value) { _value = value }
    var value: Value { lock.withLock { _value } }
    func mutate(_ body: (inout Value) -> Void) { lock.withLock { body(&_value) } }
}
