// cloud-read: reads a cloud export with CloudExport and prints what it found.
// Built by Benchmarks/cloud-read.sh; usage below. --all keeps every user in memory
// (CloudExportReader.readAll), as a comparison needs them.
import CloudExport
import Foundation
import SyncAudit

let arguments = Array(CommandLine.arguments.dropFirst())
guard let path = arguments.first else {
    FileHandle.standardError.write(Data("usage: cloud-read FILE [--cloud-format F] [--cloud-timezone TZ] [--cloud-date-format F] [--all]\n".utf8))
    exit(2)
}
@MainActor func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

let started = Date()
var users = 0
var withPasswordTime = 0
var synced = 0
do {
    let options = try CloudReadOptions(format: option("--cloud-format"), timeZone: option("--cloud-timezone"),
                                       dateFormat: option("--cloud-date-format"))
    let count = { (user: CloudUser) in
        users += 1
        if user.lastPasswordChangeDateTime != nil { withPasswordTime += 1 }
        if user.onPremisesSyncEnabled == true { synced += 1 }
    }
    let summary: CloudExportSummary
    if arguments.contains("--all") {
        let all = try CloudExportReader.readAll(path: path, options: options)
        all.users.forEach(count)
        summary = all.summary
    } else {
        summary = try CloudExportReader.read(path: path, options: options, onUser: count)
    }
    let seconds = Date().timeIntervalSince(started)
    print("format=\(summary.format.rawValue) variant=\"\(summary.variant)\" encoding=\(summary.encoding)")
    print("users=\(summary.users) withPasswordTime=\(withPasswordTime) synced=\(synced) newest=\(summary.newestTimestamp.map(Timestamp.format) ?? "none")")
    print(String(format: "read_seconds=%.3f", seconds))
} catch {
    FileHandle.standardError.write(Data("cloud-read: \(error)\n".utf8))
    exit(2)
}
