public import Foundation
import GRDB
public import SyncAudit

/// The history of runs (`--history DB`): an SQLite file holding each run — when, `asOf`, the
/// sources, the counts, success or the reason of failure — and its findings keyed by
/// `Finding.identity`, so that the next run can tell `new` from `persisting` and count what was
/// `resolved` (docs/FORMATS.md "JSON report").
///
/// Concurrency: the file is in WAL mode and every connection waits up to `busyTimeout` for a
/// lock, so runs in several processes (or several stores in one process) can share one file.
/// Every write is one `BEGIN IMMEDIATE` transaction: it takes SQLite's single write lock before
/// it reads anything, so two recorders serialize, and the second one sees the first one's run as
/// "previous". Runs are ordered by their id, that is by the order in which they were committed.
///
/// A run is all or nothing: its row and its findings are inserted in one transaction, so a run
/// that fails midway — an error from SQLite, from `beforeCommit`, or a killed process — leaves
/// the database as it was. A failed run is recorded on its own with `recordFailure`; it has no
/// findings and is never anyone's "previous" run.
public final class RunHistoryStore: Sendable {
    public enum Access: Sendable {
        /// Creates the file when missing and brings its schema up to date.
        case readWrite
        /// The file must exist and hold a phs-check history; nothing is ever written.
        case readOnly
    }

    /// How long a connection waits for another process's lock by default.
    public static let defaultBusyTimeout: TimeInterval = 120

    public let path: String
    public let busyTimeout: TimeInterval
    /// Read-only access without SQLite's locks: the reader could not create the `-shm` file a
    /// WAL database needs (no write permission on the folder), so the file was opened as
    /// immutable. A run being recorded at that moment may be missing from what is read.
    public let readsWithoutLocks: Bool
    /// One connection: a CLI run needs no parallel reads, and being the only connection it is
    /// the last to close, so closing checkpoints the WAL (a pool's read-only readers cannot).
    private let database: DatabaseQueue

    /// Opens (with `.readWrite`: creates and migrates) the history at `path`.
    public init(path: String, access: Access = .readWrite, busyTimeout: TimeInterval = defaultBusyTimeout) throws(RunHistoryError) {
        self.path = path
        self.busyTimeout = busyTimeout
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists, isDirectory.boolValue {
            throw RunHistoryError("\(path) is a folder: name the history database file inside it, e.g. \(path)/history.sqlite")
        }
        switch access {
        case .readOnly:
            guard exists else {
                throw RunHistoryError("\(path) does not exist: no run was recorded there (record runs with phs-check check --history \(path))")
            }
        case .readWrite:
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var folderIsDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &folderIsDirectory), folderIsDirectory.boolValue else {
                throw RunHistoryError("\(path): the folder \(folder) does not exist; create it or choose another path")
            }
            if exists { try Self.refuseForeignDatabase(path: path, busyTimeout: busyTimeout) }
        }
        var configuration = Configuration()
        configuration.readonly = access == .readOnly
        configuration.busyMode = .timeout(busyTimeout)
        configuration.journalMode = .wal
        configuration.label = "phs-check history"
        do {
            (database, readsWithoutLocks) = try Self.open(path: path, access: access, configuration: configuration, busyTimeout: busyTimeout)
        } catch {
            throw Self.describe(error, path: path, busyTimeout: busyTimeout)
        }
    }

    /// Opens and migrates (or checks) the file; a reader that cannot create the `-shm` file a
    /// WAL database needs (in the history's group, without write permission on its folder)
    /// opens it as immutable instead.
    private static func open(path: String, access: Access, configuration: Configuration,
                             busyTimeout: TimeInterval) throws -> (DatabaseQueue, Bool) {
        do {
            let database = try Self.open(path: path, configuration: configuration, busyTimeout: busyTimeout)
            switch access {
            case .readWrite: try Self.migrate(database, path: path)
            case .readOnly: try Self.checkSchema(database, path: path)
            }
            return (database, false)
        } catch let error as DatabaseError where access == .readOnly && Self.needsSharedMemoryFile(error) {
            let database = try DatabaseQueue(path: Self.immutableURI(path), configuration: configuration)
            try Self.checkSchema(database, path: path)
            return (database, true)
        }
    }

    /// SQLite could not open a WAL database read-only because it cannot create or open its
    /// `-shm` file: `SQLITE_CANTOPEN`, or `SQLITE_READONLY` and its extended codes.
    private static func needsSharedMemoryFile(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_CANTOPEN || error.resultCode == .SQLITE_READONLY
    }

    /// `file:` URI of `path` with `immutable=1` (SQLite reads it without locks or `-shm`).
    static func immutableURI(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute) + "?immutable=1"
    }

    /// Opens the connection. Switching a new file to WAL mode needs an exclusive lock that
    /// SQLite does not wait for (its busy handler is not called there): when two processes
    /// create the same history at once, one gets `SQLITE_BUSY` at once. Opening again until
    /// `busyTimeout` has passed gives the waiting that every other statement gets.
    private static func open(path: String, configuration: Configuration, busyTimeout: TimeInterval) throws -> DatabaseQueue {
        let deadline = Date().addingTimeInterval(busyTimeout)
        while true {
            do {
                return try DatabaseQueue(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                Thread.sleep(forTimeInterval: .random(in: 0.005...0.05))
            }
        }
    }

    // MARK: Schema

    /// The schema, one migration per released change; never edit a migration once released.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    startedAt DATETIME NOT NULL,
                    finishedAt DATETIME NOT NULL,
                    succeeded BOOLEAN NOT NULL,
                    failure TEXT,
                    toolVersion TEXT NOT NULL,
                    asOf DATETIME,
                    asOfSource TEXT,
                    directorySource TEXT,
                    baseDN TEXT,
                    cloudSource TEXT,
                    cloudFormat TEXT,
                    directoryUsers INTEGER,
                    cloudUsers INTEGER,
                    matched INTEGER,
                    errors INTEGER,
                    warnings INTEGER,
                    infos INTEGER,
                    previousRunId INTEGER REFERENCES run(id),
                    resolved INTEGER,
                    CHECK (succeeded OR failure IS NOT NULL)
                );
                CREATE TABLE finding (
                    runId INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    identity TEXT NOT NULL,
                    code TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('new', 'persisting')),
                    samAccountName TEXT,
                    userPrincipalName TEXT,
                    distinguishedName TEXT,
                    message TEXT NOT NULL
                );
                CREATE INDEX finding_run_identity ON finding(runId, identity);
                CREATE INDEX run_succeeded ON run(succeeded, id);
                """)
        }
        // Several domains a run (issue 11): each finding's domain, and each run's domains.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                ALTER TABLE finding ADD COLUMN domain TEXT;
                CREATE TABLE runDomain (
                    runId INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('read', 'unreachable', 'not-read')),
                    source TEXT,
                    failure TEXT,
                    directoryUsers INTEGER NOT NULL,
                    matched INTEGER NOT NULL,
                    errors INTEGER NOT NULL,
                    warnings INTEGER NOT NULL,
                    infos INTEGER NOT NULL,
                    cloudUsersOutOfScope INTEGER NOT NULL
                );
                CREATE INDEX runDomain_run ON runDomain(runId);
                """)
        }
        // First sighting and runs open (issue 13). Findings recorded before this migration count
        // from the run they were recorded in: the history did not keep more.
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                ALTER TABLE finding ADD COLUMN firstSeenRunId INTEGER REFERENCES run(id);
                ALTER TABLE finding ADD COLUMN runsOpen INTEGER;
                """)
        }
        // Probes (issue 15): each probe's outcome and stage latencies.
        migrator.registerMigration("v4") { db in
            try db.execute(sql: """
                CREATE TABLE probe (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    startedAt DATETIME NOT NULL,
                    finishedAt DATETIME NOT NULL,
                    toolVersion TEXT NOT NULL,
                    canary TEXT NOT NULL,
                    outcome TEXT NOT NULL CHECK (outcome IN ('arrived', 'not-arrived', 'not-changed', 'failed')),
                    changedAt DATETIME,
                    arrivedAt DATETIME,
                    seenAt DATETIME,
                    polls INTEGER,
                    resetSeconds REAL,
                    arrivalSeconds REAL,
                    observedSeconds REAL,
                    signedInAt DATETIME,
                    signinSeconds REAL,
                    message TEXT NOT NULL
                );
                """)
        }
        return migrator
    }

    private static func migrate(_ database: DatabaseQueue, path: String) throws {
        let migrator = Self.migrator
        do {
            try migrator.migrate(database)
        } catch {
            // GRDB reads the applied migrations before it takes the write lock, so another
            // process opening a new file at the same moment may have applied "v1" first and
            // ours fails on `CREATE TABLE`. Then the schema is complete: carry on. Else retry once.
            if try !database.read({ try migrator.hasCompletedMigrations($0) }) {
                try migrator.migrate(database)
            }
        }
        if try database.read({ try migrator.hasBeenSuperseded($0) }) {
            throw RunHistoryError("\(path) was written by a newer phs-check: record runs there with that version")
        }
    }

    /// An SQLite file with tables but no migrations table belongs to another program: refuse it
    /// before opening it for writing turns on WAL mode and adds our tables to it.
    private static func refuseForeignDatabase(path: String, busyTimeout: TimeInterval) throws(RunHistoryError) {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        do {
            let peek = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? peek.close() }
            let (tables, migrated) = try peek.read { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") ?? 0,
                 try db.tableExists("grdb_migrations"))
            }
            if tables > 0, !migrated {
                throw RunHistoryError("\(path) is an SQLite database of another program, not a phs-check history: choose a new file for --history")
            }
        } catch {
            throw describe(error, path: path, busyTimeout: busyTimeout)
        }
    }

    /// A history to read: at least the first migration applied (a file an older phs-check wrote
    /// is read as it is: the reader uses no column a later migration added), none unknown.
    private static func checkSchema(_ database: DatabaseQueue, path: String) throws {
        let migrator = Self.migrator
        let (applied, superseded) = try database.read { db in
            (try db.tableExists("grdb_migrations") ? try migrator.appliedIdentifiers(db) : [], try db.tableExists("grdb_migrations") && migrator.hasBeenSuperseded(db))
        }
        guard applied.contains("v1") else {
            throw RunHistoryError("\(path) is not a phs-check history database (no phs-check run tables in it)")
        }
        if superseded {
            throw RunHistoryError("\(path) was written by a newer phs-check: read it with that version")
        }
    }

    // MARK: Recording

    /// The identities of the findings of the latest successful run (empty when there is none).
    /// For a look ahead only: `record` reads them again inside its own transaction.
    public func previousFindings() throws(RunHistoryError) -> Set<String> {
        try reading { db in
            guard let previous = try Self.latestSuccessfulRunId(db) else { return [] }
            return try Self.identities(db, run: previous)
        }
    }

    /// Records a complete run in one write transaction: reads the latest successful run, fills
    /// every finding's `status` and the report's `resolved` against it, inserts the run and its
    /// findings, then calls `beforeCommit` with the result — still inside the transaction —
    /// and commits only when it returns. The caller writes its report there, so that a run is
    /// recorded exactly when its report was written: if `beforeCommit` throws, nothing is
    /// recorded and its error is rethrown as is.
    ///
    /// - Throws: `RunHistoryError` for a database failure (nothing recorded), or the error of `beforeCommit`.
    @discardableResult
    public func record(report: AuditReport, startedAt: Date, finishedAt: Date = Date(),
                       beforeCommit: (RecordedRun) throws -> Void = { _ in }) throws -> RecordedRun {
        do {
            return try inImmediateTransaction { db in
                let previous = try Self.latestSuccessfulRunId(db)
                let prior = try previous.map { try Self.priorFindings(db, run: $0) } ?? [:]
                var annotated = FindingStatuses.annotate(report, previous: prior.mapValues(\.prior), now: startedAt)
                let id = try Self.insertRun(db, annotated, startedAt: startedAt, finishedAt: finishedAt, previous: previous)
                let insert = try db.makeStatement(sql: """
                    INSERT INTO finding (runId, identity, code, severity, status, samAccountName,
                                         userPrincipalName, distinguishedName, message, domain,
                                         firstSeenRunId, runsOpen)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                var current = Set<String>()
                for finding in annotated.findings {
                    let identity = finding.identity
                    current.insert(identity)
                    try insert.execute(arguments: [
                        id, identity, finding.code.rawValue, finding.severity.rawValue,
                        (finding.status ?? .new).rawValue,
                        finding.samAccountName, finding.userPrincipalName, finding.distinguishedName,
                        finding.message, finding.domain, prior[identity]?.firstSeenRunId ?? id, finding.runsOpen,
                    ])
                }
                let resolved = prior.values.filter { !current.contains($0.finding.identity) }
                    .sorted { $0.order < $1.order }
                    .map { entry in
                        HistoryContext.ResolvedFinding(
                            code: entry.finding.code, samAccountName: entry.finding.samAccountName,
                            userPrincipalName: entry.finding.userPrincipalName,
                            distinguishedName: entry.finding.distinguishedName, domain: entry.finding.domain,
                            firstSeen: entry.prior.firstSeen)
                    }
                annotated.history = HistoryContext(resolved: resolved, trend: try Self.trend(db, runs: Self.trendRuns))
                let insertDomain = try db.makeStatement(sql: """
                    INSERT INTO runDomain (runId, name, status, source, failure, directoryUsers, matched,
                                           errors, warnings, infos, cloudUsersOutOfScope)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for domain in annotated.result.domains {
                    try insertDomain.execute(arguments: [
                        id, domain.name, domain.status.rawValue, domain.domain?.source, domain.domain?.failure,
                        domain.directoryUsers, domain.matched, domain.errors, domain.warnings, domain.infos,
                        domain.cloudUsersOutOfScope,
                    ])
                }
                let run = RecordedRun(id: id, previousRunId: previous, report: annotated)
                do { try beforeCommit(run) } catch { throw CallerError(error: error) }
                return run
            }
        } catch let error as CallerError {
            throw error.error
        } catch {
            throw Self.describe(error, path: path, busyTimeout: busyTimeout)
        }
    }

    /// Records a run that failed (no report, no findings) with the reason, in one transaction.
    @discardableResult
    public func recordFailure(startedAt: Date, finishedAt: Date = Date(), message: String,
                              toolVersion: String) throws(RunHistoryError) -> Int64 {
        try writing { db in
            try db.execute(
                sql: "INSERT INTO run (startedAt, finishedAt, succeeded, failure, toolVersion) VALUES (?, ?, 0, ?, ?)",
                arguments: [startedAt, finishedAt, message, toolVersion])
            return db.lastInsertedRowID
        }
    }

    /// Records one probe.
    @discardableResult
    public func record(probe: ProbeRecord) throws(RunHistoryError) -> Int64 {
        try writing { db in
            try db.execute(sql: """
                INSERT INTO probe (startedAt, finishedAt, toolVersion, canary, outcome, changedAt, arrivedAt, seenAt, polls,
                                   resetSeconds, arrivalSeconds, observedSeconds, signedInAt, signinSeconds, message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [probe.startedAt, probe.finishedAt, probe.toolVersion, probe.canary, probe.outcome.rawValue,
                                 probe.changedAt, probe.arrivedAt, probe.seenAt, probe.polls, probe.resetSeconds,
                                 probe.arrivalSeconds, probe.observedSeconds, probe.signedInAt, probe.signinSeconds, probe.message])
            return db.lastInsertedRowID
        }
    }

    // MARK: Reading

    /// Recorded probes, newest first; none in a history an older phs-check wrote.
    public func probes(limit: Int? = nil) throws(RunHistoryError) -> [ProbeRecord] {
        try reading { db in
            guard try db.tableExists("probe") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT * FROM probe ORDER BY id DESC LIMIT ?", arguments: [limit ?? -1]).map { row in
                ProbeRecord(id: row["id"], startedAt: row["startedAt"], finishedAt: row["finishedAt"], toolVersion: row["toolVersion"],
                            canary: row["canary"], outcome: ProbeRecord.Outcome(rawValue: row["outcome"]) ?? .failed,
                            changedAt: row["changedAt"], arrivedAt: row["arrivedAt"], seenAt: row["seenAt"], polls: row["polls"],
                            resetSeconds: row["resetSeconds"], arrivalSeconds: row["arrivalSeconds"],
                            observedSeconds: row["observedSeconds"], signedInAt: row["signedInAt"],
                            signinSeconds: row["signinSeconds"], message: row["message"])
            }
        }
    }

    /// Recorded runs, newest first; `limit` nil for all of them.
    public func runs(limit: Int? = nil) throws(RunHistoryError) -> [RunSummary] {
        try reading { db in
            try Row.fetchAll(db, sql: Self.summarySQL + " ORDER BY id DESC LIMIT ?", arguments: [limit ?? -1])
                .map(Self.summary)
        }
    }

    /// The latest successful run, if any.
    public func latestSuccessfulRun() throws(RunHistoryError) -> RunSummary? {
        try reading { db in
            try Row.fetchOne(db, sql: Self.summarySQL + " WHERE id = (SELECT MAX(id) FROM run WHERE succeeded)")
                .map(Self.summary)
        }
    }

    /// The run `id` (nil: the latest successful run, else the latest run) next to the successful
    /// run before it: its new findings and the findings of the run before that are gone.
    /// `nil` when no run is recorded at all.
    ///
    /// - Throws: `RunHistoryError` when there is no run `id`.
    public func diff(run id: Int64? = nil) throws(RunHistoryError) -> RunDiff? {
        try reading { db -> RunDiff? in
            // The run asked for, else the latest successful run, else the latest run (a failed one).
            guard let chosen = try id ?? Self.latestSuccessfulRunId(db) ?? Int64.fetchOne(db, sql: "SELECT MAX(id) FROM run") else {
                return nil
            }
            guard let row = try Row.fetchOne(db, sql: Self.summarySQL + " WHERE id = ?", arguments: [chosen]) else {
                let ids = try Int64.fetchAll(db, sql: "SELECT id FROM run ORDER BY id")
                throw RunHistoryError("\(path) has no run \(chosen)" + (ids.isEmpty ? " (no run recorded yet)" : "; its runs are \(Self.ranges(ids))"))
            }
            let run = Self.summary(row)
            guard run.succeeded else { return RunDiff(run: run, previous: nil, new: [], resolved: []) }
            let previous = try run.previousRunId.flatMap {
                try Row.fetchOne(db, sql: Self.summarySQL + " WHERE id = ?", arguments: [$0]).map(Self.summary)
            }
            let new = try Self.findings(db, sql: "SELECT * FROM finding WHERE runId = ? AND status = 'new' ORDER BY rowid",
                                        arguments: [chosen])
            let resolved = try Self.findings(db, sql: """
                SELECT * FROM finding p WHERE p.runId = ?
                AND NOT EXISTS (SELECT 1 FROM finding c WHERE c.runId = ? AND c.identity = p.identity)
                ORDER BY rowid
                """, arguments: [run.previousRunId ?? -1, chosen])
            return RunDiff(run: run, previous: previous, new: new, resolved: resolved)
        }
    }

    /// Every finding recorded for run `id`, in the report's order.
    public func findings(run id: Int64) throws(RunHistoryError) -> [RecordedFinding] {
        try reading { db in try Self.findings(db, sql: "SELECT * FROM finding WHERE runId = ? ORDER BY rowid", arguments: [id]) }
    }

    /// `PRAGMA integrity_check` and `PRAGMA foreign_key_check`: empty when the file is sound,
    /// else one line per problem.
    public func integrityCheck() throws(RunHistoryError) -> [String] {
        try reading { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            let foreignKeys = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { "foreign key: \($0)" }
            return integrity + foreignKeys
        }
    }

    /// Closes the file now rather than at deinit (a command that ends with `exit()` never gets
    /// there). The last connection to the file checkpoints the write-ahead log into it and
    /// removes the `-wal` and `-shm` files, so the history is one file again for backups.
    /// Every later use of the store fails.
    public func close() {
        try? database.close()
    }

    // MARK: Internals

    /// For tests: runs SQL in its own transaction (e.g. a trigger that makes an insert fail).
    func execute(sql: String) throws {
        try database.write { db in try db.execute(sql: sql) }
    }

    /// An error thrown by the caller's `beforeCommit`, kept apart from SQLite's.
    private struct CallerError: Error { var error: any Error }

    private func reading<T>(_ body: (Database) throws -> T) throws(RunHistoryError) -> T {
        do { return try database.read(body) } catch { throw Self.describe(error, path: path, busyTimeout: busyTimeout) }
    }

    private func writing<T>(_ body: (Database) throws -> T) throws(RunHistoryError) -> T {
        do { return try inImmediateTransaction(body) } catch { throw Self.describe(error, path: path, busyTimeout: busyTimeout) }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction (SQLite's write lock is taken before
    /// anything is read) and commits when it returns; rolls back and rethrows when it throws.
    private func inImmediateTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try database.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    private static func latestSuccessfulRunId(_ db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM run WHERE succeeded")
    }

    /// How many successful runs, this one included, `HistoryContext.trend` shows.
    public static let trendRuns = 30

    /// A finding of the previous run: what it carries on to this run, and what it was in case it is resolved.
    private struct PriorFinding {
        var finding: RecordedFinding
        var prior: FindingStatuses.Prior
        var firstSeenRunId: Int64
        var order: Int64
    }

    /// The findings of `run`, by identity. Rows recorded before the `v3` migration count as
    /// first seen in `run`, open one run.
    private static func priorFindings(_ db: Database, run: Int64) throws -> [String: PriorFinding] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT f.rowid AS position, f.*, COALESCE(f.firstSeenRunId, f.runId) AS seenRun,
                   COALESCE(f.runsOpen, 1) AS open, COALESCE(seen.startedAt, this.startedAt) AS seenAt
            FROM finding f JOIN run this ON this.id = f.runId LEFT JOIN run seen ON seen.id = f.firstSeenRunId
            WHERE f.runId = ?
            """, arguments: [run])
        var prior: [String: PriorFinding] = [:]
        prior.reserveCapacity(rows.count)
        for row in rows {
            let finding = Self.finding(row)
            prior[finding.identity] = PriorFinding(
                finding: finding, prior: FindingStatuses.Prior(firstSeen: row["seenAt"], runsOpen: row["open"]),
                firstSeenRunId: row["seenRun"], order: row["position"])
        }
        return prior
    }

    /// The counts of the last `runs` successful runs, oldest first.
    private static func trend(_ db: Database, runs: Int) throws -> [HistoryContext.RunCounts] {
        try Row.fetchAll(db, sql: """
            SELECT id, startedAt, errors, warnings, infos,
                   (SELECT COUNT(*) FROM finding WHERE finding.runId = run.id AND finding.status = 'new') AS newCount
            FROM run WHERE succeeded ORDER BY id DESC LIMIT ?
            """, arguments: [runs])
            .reversed()
            .map { row in
                HistoryContext.RunCounts(runId: row["id"], at: row["startedAt"], errors: row["errors"] ?? 0,
                                         warnings: row["warnings"] ?? 0, infos: row["infos"] ?? 0, new: row["newCount"])
            }
    }

    private static func identities(_ db: Database, run: Int64) throws -> Set<String> {
        try Set(String.fetchAll(db, sql: "SELECT identity FROM finding WHERE runId = ?", arguments: [run]))
    }

    private static func insertRun(_ db: Database, _ report: AuditReport, startedAt: Date, finishedAt: Date,
                                  previous: Int64?) throws -> Int64 {
        let settings = report.result.settings
        try db.execute(sql: """
            INSERT INTO run (startedAt, finishedAt, succeeded, toolVersion, asOf, asOfSource, directorySource, baseDN,
                             cloudSource, cloudFormat, directoryUsers, cloudUsers, matched, errors, warnings, infos,
                             previousRunId, resolved)
            VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                startedAt, finishedAt, report.version, settings.asOf, settings.asOfSource.rawValue,
                report.directory.source, report.directory.baseDN, report.cloud.source, report.cloud.format,
                report.result.directoryUsers, report.result.cloudUsers, report.result.matched,
                report.count(.error), report.count(.warning), report.count(.info),
                previous, report.resolved ?? 0,
            ])
        return db.lastInsertedRowID
    }

    private static let summarySQL = """
        SELECT run.*,
               (SELECT COUNT(*) FROM finding WHERE finding.runId = run.id) AS findingCount,
               (SELECT COUNT(*) FROM finding WHERE finding.runId = run.id AND finding.status = 'new') AS newCount
        FROM run
        """

    private static func summary(_ row: Row) -> RunSummary {
        RunSummary(
            id: row["id"], startedAt: row["startedAt"], finishedAt: row["finishedAt"], succeeded: row["succeeded"],
            failure: row["failure"], toolVersion: row["toolVersion"], asOf: row["asOf"], asOfSource: row["asOfSource"],
            directorySource: row["directorySource"], baseDN: row["baseDN"], cloudSource: row["cloudSource"],
            cloudFormat: row["cloudFormat"], directoryUsers: row["directoryUsers"], cloudUsers: row["cloudUsers"],
            matched: row["matched"], errors: row["errors"], warnings: row["warnings"], infos: row["infos"],
            previousRunId: row["previousRunId"], resolved: row["resolved"], newFindings: row["newCount"],
            findings: row["findingCount"])
    }

    private static func findings(_ db: Database, sql: String, arguments: StatementArguments) throws -> [RecordedFinding] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map(finding)
    }

    private static func finding(_ row: Row) -> RecordedFinding {
        RecordedFinding(
            identity: row["identity"], code: row["code"], severity: row["severity"],
            status: FindingStatus(rawValue: row["status"]) ?? .new, samAccountName: row["samAccountName"],
            userPrincipalName: row["userPrincipalName"], distinguishedName: row["distinguishedName"],
            message: row["message"], domain: row["domain"])
    }

    /// `1-3, 5, 7-9`.
    private static func ranges(_ ids: [Int64]) -> String {
        var parts: [String] = []
        var index = 0
        while index < ids.count {
            var end = index
            while end + 1 < ids.count, ids[end + 1] == ids[end] + 1 { end += 1 }
            parts.append(end == index ? "\(ids[index])" : "\(ids[index])-\(ids[end])")
            index = end + 1
        }
        return parts.joined(separator: ", ")
    }

    /// One sentence for an SQLite failure, naming the file and what to do.
    private static func describe(_ error: any Error, path: String, busyTimeout: TimeInterval) -> RunHistoryError {
        if let error = error as? RunHistoryError { return error }
        guard let error = error as? DatabaseError else { return RunHistoryError("\(path): \(error)") }
        let detail = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_NOTADB:
            return RunHistoryError("\(path) is not a phs-check history database (not an SQLite file)")
        case .SQLITE_CANTOPEN:
            return RunHistoryError("cannot open \(path) (\(detail)): check the path and its permissions")
        case .SQLITE_READONLY:
            return RunHistoryError("\(path) is read-only (\(detail)): phs-check must be able to write the file and its folder")
        case .SQLITE_PERM, .SQLITE_AUTH:
            return RunHistoryError("\(path): permission denied (\(detail))")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return RunHistoryError("\(path) stayed locked by another process for more than \(Int(busyTimeout)) s; try again")
        case .SQLITE_FULL:
            return RunHistoryError("the disk holding \(path) is full; nothing was recorded")
        case .SQLITE_CORRUPT:
            return RunHistoryError("\(path) is damaged (\(detail)); move it aside to start a new history")
        case .SQLITE_IOERR:
            return RunHistoryError("cannot read or write \(path) (\(detail))")
        default:
            return RunHistoryError("\(path): \(detail)")
        }
    }
}
