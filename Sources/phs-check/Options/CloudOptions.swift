import ArgumentParser
import ConfigLoader
import CloudExport
import EntraGraph
import Foundation
import Logging
import SyncAudit

/// The cloud export to compare with, and how to read it.
struct CloudOptions: ParsableArguments {
    @Option(name: .customLong("cloud"), help: ArgumentHelp(
        "graph (check and explain) reads Entra ID live over Microsoft Graph (see the Microsoft Graph options); else the cloud export: an export-cloud file, Graph /users JSON, Get-MgUser ConvertTo-Json or Export-Csv, or Get-MsolUser Export-Csv, each also gzip-compressed (.gz). - reads standard input (./graph names a file called graph).",
        valueName: "graph|file"), completion: .file())
    var clouds: [String] = []

    /// The export. `--cloud` is declared repeatable only so that a second one is refused
    /// instead of silently replacing the first.
    var cloud: String? { clouds.first }

    /// `--cloud graph`: read Microsoft Graph itself.
    var isGraph: Bool { cloud == "graph" }

    @Option(name: .customLong("cloud-format"), help: ArgumentHelp(
        "auto, graph-json, mg-csv or msol-csv.", valueName: "auto|graph-json|mg-csv|msol-csv"),
            completion: .list(["auto", "graph-json", "mg-csv", "msol-csv"]))
    var cloudFormat: String = "auto"

    @Option(name: .customLong("cloud-timezone"), help: ArgumentHelp(
        "The time zone a CSV export's dates were written in: an IANA name (Europe/Amsterdam), the Windows name Get-TimeZone shows on the machine that made the export (\"W. Europe Standard Time\"), UTC, or an offset (+01:00).", valueName: "zone"))
    var cloudTimeZone: String?

    @Option(name: .customLong("cloud-date-format"), help: ArgumentHelp(
        "The date pattern of a CSV export, e.g. \"dd-MM-yyyy HH:mm:ss\" or \"MM/dd/yyyy h:mm:ss a\".", valueName: "pattern"))
    var cloudDateFormat: String?

    @Option(name: .customLong("tenant"), help: ArgumentHelp(
        "Graph organization and/or onPremisesSynchronization JSON (also gzip-compressed): the PHS heartbeat and tenant features.", valueName: "file"), completion: .file())
    var tenant: String?

    @Option(name: .customLong("max-record-size"), help: ArgumentHelp(
        "The longest snapshot line, CSV record or JSON string read; an input past it is refused, not held.", valueName: "size"))
    var maxRecordSize: String = "1MiB"

    @Option(name: .customLong("max-input-size"), help: ArgumentHelp(
        "The most held in memory for an input that cannot be read twice (a CSV export on standard input) or is read whole (--tenant), and the most a .gz export decompresses to.",
        valueName: "size"))
    var maxInputSize: String = "4GiB"

    /// What any reader may hold at once (`InputLimits`).
    var limits: InputLimits {
        InputLimits(maxRecordSize: ByteSize.parse(maxRecordSize) ?? InputLimits.defaultMaxRecordSize,
                    maxInputSize: ByteSize.parse(maxInputSize) ?? InputLimits.defaultMaxInputSize)
    }

    func validate() throws {
        for (option, value) in [("--max-record-size", maxRecordSize), ("--max-input-size", maxInputSize)] where ByteSize.parse(value) == nil {
            throw ValidationError("\(option) \(value): write a size such as 512k, 1MiB or 4GiB")
        }
        if clouds.count > 1 {
            throw ValidationError("--cloud is given \(clouds.count) times: a run compares with one export; give it once")
        }
    }

    /// Everything read from the cloud side.
    struct Loaded {
        var users: [CloudUser]
        var summary: CloudExportSummary
        var tenant: TenantFacts?
    }

    /// Reads the export file (not for `--cloud graph`: see `startGraph`). An export-cloud
    /// file's tenant state is used, with a `--tenant` file's facts over it.
    func load() throws(Failure) -> Loaded {
        guard let cloud else {
            throw .usage("name the cloud side with --cloud graph (read Microsoft Graph) or --cloud FILE (an export). Take an export with: phs-check export-cloud, or \(CloudExportReader.recommendedCommand)")
        }
        do {
            var options = try CloudReadOptions(format: cloudFormat, timeZone: cloudTimeZone, dateFormat: cloudDateFormat)
            options.limits = limits
            let (users, summary) = try CloudExportReader.readAll(path: cloud, options: options)
            try summary.requirePasswordTimes()
            let facts = try tenantFile()
            return Loaded(users: users, summary: summary, tenant: summary.graphExport.map { $0.tenant.merging(facts) } ?? facts)
        } catch {
            throw .usage(error.description)
        }
    }

    /// `--tenant FILE`, read.
    func tenantFile() throws(CloudExportError) -> TenantFacts? {
        try tenant.map { path throws(CloudExportError) in try TenantFactsReader.read(path: path, limits: limits) }
    }

    /// With `--cloud graph`: starts reading Graph (users and tenant state) and returns at once,
    /// so that the directory is read meanwhile; `finish` waits for it. nil for a file.
    func startGraph(_ graph: GraphOptions, timeout: TimeInterval, warnings: Warnings, logger: Logger) throws(Failure) -> PendingGraph? {
        guard isGraph else { return nil }
        if cloudDateFormat != nil || cloudTimeZone != nil || cloudFormat != "auto" {
            throw .usage("--cloud graph reads Graph itself: --cloud-format, --cloud-timezone and --cloud-date-format are for export files; drop them")
        }
        let settings = try graph.settings(timeout: timeout, warnings: warnings)
        // A bad --tenant file fails now, before any network traffic.
        let facts: TenantFacts?
        do { facts = try tenantFile() } catch { throw .usage(error.description) }
        let collected = PendingGraph.Users()
        let side = try GraphSide(settings, logger: logger, keepLines: false) { page, _, _ in collected.append(page.users) }
        return PendingGraph(side: side, collected: collected, tenantFile: facts)
    }

    /// The Graph read started by `startGraph`, once it has ended.
    func finish(_ pending: PendingGraph) throws(Failure) -> Loaded {
        let read = try pending.side.wait()
        let loaded = Loaded(graph: read, users: pending.collected.users, tenantFile: pending.tenantFile)
        do { try loaded.summary.requirePasswordTimes() } catch { throw .usage(error.description) }
        return loaded
    }

    /// A Graph read under way (`startGraph`), and the users it has handed over so far.
    struct PendingGraph {
        let side: GraphSide
        let collected: Users
        let tenantFile: TenantFacts?

        /// The users, appended on the reading task; read after `GraphSide.wait()`, whose
        /// semaphore orders the two.
        final class Users: @unchecked Sendable {
            private(set) var users: [CloudUser] = []
            func append(_ more: [CloudUser]) { users += more }
        }
    }
}

/// How to judge the two sides (docs/FINDINGS.md "Time").
struct ComparisonOptions: ParsableArguments {
    @Option(name: .customLong("as-of"), help: ArgumentHelp(
        "When the cloud export was taken (ISO 8601, e.g. 2024-03-04T05:06:07Z). Default: a time the export carries, else its newest timestamp.",
        valueName: "time"))
    var asOf: String?

    @Option(name: .customLong("grace"), help: ArgumentHelp(
        "How long PHS may take before a change counts as not synced.", valueName: "duration"))
    var grace: String = "1h"

    @Option(name: .customLong("max-skew"), help: ArgumentHelp(
        "Clock difference tolerated between the DC and Entra ID.", valueName: "duration"))
    var maxSkew: String = "5m"

    @Option(name: .customLong("max-export-age"), help: ArgumentHelp(
        "Refuse an export whose known time (--as-of, or when its Graph read began) is older than the directory read by more than this; an inferred time only warns.",
        valueName: "duration"))
    var maxExportAge: String = "24h"

    @Flag(name: .customLong("force-password-change-on-logon"), help: "The tenant syncs temporary passwords (userForcePasswordChangeOnLogonEnabled).")
    var forcePasswordChangeOnLogon = false

    @Option(name: .customLong("selective-phs"), help: ArgumentHelp(
        "Entra Connect's selective password hash sync, which neither AD nor Graph shows: exclude (adminDescription PHSFiltered is left out), include (only PHSIncluded is synced) or off.",
        valueName: "exclude|include|off"))
    var selectivePHS: SelectivePHS = .exclude

    @Option(name: .customLong("max-cloud-sync-age"), help: ArgumentHelp(
        "A Cloud Sync password hash sync job without a successful run for longer than this is a finding.", valueName: "duration"))
    var maxCloudSyncAge: String = "3h"

    @Option(name: .customLong("connector-name"), help: ArgumentHelp(
        "The AD connector's name in Entra Connect, for the troubleshooter commands in the messages (default: the domain's DNS name).",
        valueName: "name"))
    var connectorName: String?

    @Option(name: .customLong("exceptions"), help: ArgumentHelp(
        "A YAML file of accepted findings (code, user or dn pattern, reason, expires): they are shown as accepted and count toward neither the totals nor --fail-on; an expired one is a warning.",
        valueName: "file"), completion: .file(extensions: ["yaml", "yml"]))
    var exceptions: String?

    func validate() throws {
        if let asOf, Timestamp.parse(asOf) == nil {
            throw ValidationError("--as-of \(asOf): write an ISO 8601 time with its zone, e.g. 2024-03-04T05:06:07Z")
        }
        for (option, value) in [("--grace", grace), ("--max-skew", maxSkew), ("--max-export-age", maxExportAge),
                                ("--max-cloud-sync-age", maxCloudSyncAge)] where Duration.parse(value) == nil {
            throw ValidationError(Duration.problem(option, value))
        }
        // A mistake in the exceptions file is found before the DC and the export are read.
        if let exceptions {
            do { _ = try ExceptionsFile.load(path: exceptions) } catch { throw ValidationError(error.message) }
        }
    }

    func settings(cloud: CloudOptions.Loaded, directoryReadAt: Date?) throws(Failure) -> AuditSettings {
        guard let (asOf, source) = Audit.resolveAsOf(option: asOf.flatMap { Timestamp.parse($0) },
                                                    exportTime: cloud.summary.graphExport?.fetchStartedAt,
                                                    newestInExport: cloud.summary.newestTimestamp)
        else {
            throw .usage("\(cloud.summary.source) carries no timestamps to tell when it was taken: pass --as-of with the time of the export")
        }
        var exceptionList: [FindingException] = []
        if let exceptions {
            do { exceptionList = try ExceptionsFile.load(path: exceptions) } catch { throw .usage(error.message) }
        }
        var settings = AuditSettings(
            asOf: asOf, asOfSource: source,
            grace: Duration.parse(grace)?.seconds ?? AuditSettings.defaultGrace,
            maxSkew: Duration.parse(maxSkew)?.seconds ?? AuditSettings.defaultMaxSkew,
            forcePasswordChangeOnLogon: forcePasswordChangeOnLogon,
            connectorName: connectorName, directoryReadAt: directoryReadAt,
            maxExportAge: Duration.parse(maxExportAge)?.seconds ?? AuditSettings.defaultMaxExportAge,
            maxCloudSyncAge: Duration.parse(maxCloudSyncAge)?.seconds ?? AuditSettings.heartbeatLimit)
        settings.exceptions = exceptionList
        settings.selectivePHS = selectivePHS
        return settings
    }
}

extension Duration {
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
