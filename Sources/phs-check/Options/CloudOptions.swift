import ArgumentParser
import CloudExport
import Foundation
import SyncAudit

/// The cloud export to compare with, and how to read it.
struct CloudOptions: ParsableArguments {
    @Option(name: .customLong("cloud"), help: ArgumentHelp(
        "The cloud export: Graph /users JSON, Get-MgUser ConvertTo-Json or Export-Csv, or Get-MsolUser Export-Csv. - reads standard input.",
        valueName: "file"))
    var clouds: [String] = []

    /// The export. `--cloud` is declared repeatable only so that a second one is refused
    /// instead of silently replacing the first.
    var cloud: String? { clouds.first }

    @Option(name: .customLong("cloud-format"), help: ArgumentHelp(
        "auto, graph-json, mg-csv or msol-csv.", valueName: "format"))
    var cloudFormat: String = "auto"

    @Option(name: .customLong("cloud-timezone"), help: ArgumentHelp(
        "The time zone a CSV export's dates were written in (e.g. Europe/Amsterdam, UTC, +01:00).", valueName: "tz"))
    var cloudTimeZone: String?

    @Option(name: .customLong("cloud-date-format"), help: ArgumentHelp(
        "The date pattern of a CSV export, e.g. \"dd-MM-yyyy HH:mm:ss\" or \"MM/dd/yyyy h:mm:ss a\".", valueName: "pattern"))
    var cloudDateFormat: String?

    @Option(name: .customLong("tenant"), help: ArgumentHelp(
        "Graph organization and/or onPremisesSynchronization JSON: the PHS heartbeat and tenant features.", valueName: "file"))
    var tenant: String?

    @Option(name: .customLong("max-record-size"), help: ArgumentHelp(
        "The longest snapshot line, CSV record or JSON string read; an input past it is refused, not held.", valueName: "size"))
    var maxRecordSize: String = "1MiB"

    @Option(name: .customLong("max-input-size"), help: ArgumentHelp(
        "The most held in memory for an input that cannot be read twice (a CSV export on standard input) or is read whole (--tenant).",
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

    func load() throws(Failure) -> Loaded {
        guard let cloud else {
            throw .usage("name the cloud export with --cloud FILE. Take it with: \(CloudExportReader.recommendedCommand)")
        }
        do {
            var options = try CloudReadOptions(format: cloudFormat, timeZone: cloudTimeZone, dateFormat: cloudDateFormat)
            options.limits = limits
            let (users, summary) = try CloudExportReader.readAll(path: cloud, options: options)
            try summary.requirePasswordTimes()
            let facts = try tenant.map { path throws(CloudExportError) in try TenantFactsReader.read(path: path, limits: limits) }
            return Loaded(users: users, summary: summary, tenant: facts)
        } catch {
            throw .usage(error.description)
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
        "Refuse an export whose known time (--as-of) is older than the directory read by more than this; an inferred time only warns.",
        valueName: "duration"))
    var maxExportAge: String = "24h"

    @Flag(name: .customLong("force-password-change-on-logon"), help: "The tenant syncs temporary passwords (userForcePasswordChangeOnLogonEnabled).")
    var forcePasswordChangeOnLogon = false

    @Option(name: .customLong("connector-name"), help: ArgumentHelp(
        "The AD connector's name in Entra Connect, for the troubleshooter commands in the messages (default: the domain's DNS name).",
        valueName: "name"))
    var connectorName: String?

    func validate() throws {
        if let asOf, Timestamp.parse(asOf) == nil {
            throw ValidationError("--as-of \(asOf): write an ISO 8601 time with its zone, e.g. 2024-03-04T05:06:07Z")
        }
        if Duration.parse(grace) == nil { throw ValidationError("--grace \(grace): write a duration such as 90s, 30m, 2h or 1d") }
        if Duration.parse(maxSkew) == nil { throw ValidationError("--max-skew \(maxSkew): write a duration such as 90s, 30m, 2h or 1d") }
        if Duration.parse(maxExportAge) == nil { throw ValidationError("--max-export-age \(maxExportAge): write a duration such as 12h or 2d") }
    }

    func settings(cloud: CloudOptions.Loaded, directoryReadAt: Date?) throws(Failure) -> AuditSettings {
        guard let (asOf, source) = Audit.resolveAsOf(option: asOf.flatMap { Timestamp.parse($0) }, exportTime: nil,
                                                    newestInExport: cloud.summary.newestTimestamp)
        else {
            throw .usage("\(cloud.summary.source) carries no timestamps to tell when it was taken: pass --as-of with the time of the export")
        }
        return AuditSettings(
            asOf: asOf, asOfSource: source,
            grace: Duration.parse(grace)?.seconds ?? AuditSettings.defaultGrace,
            maxSkew: Duration.parse(maxSkew)?.seconds ?? AuditSettings.defaultMaxSkew,
            forcePasswordChangeOnLogon: forcePasswordChangeOnLogon,
            connectorName: connectorName, directoryReadAt: directoryReadAt,
            maxExportAge: Duration.parse(maxExportAge)?.seconds ?? AuditSettings.defaultMaxExportAge)
    }
}

extension Duration {
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
