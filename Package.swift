// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "phs-check",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "phs-check", targets: ["phs-check"]),
        // For the fuzz package (Fuzz/Package.swift): another package reaches a module only
        // through a product. Not an API promise.
        .library(name: "SyncAudit", targets: ["SyncAudit"]),
        .library(name: "CloudExport", targets: ["CloudExport"]),
        .library(name: "ActiveDirectory", targets: ["ActiveDirectory"]),
        .library(name: "Configuration", targets: ["Configuration"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // libldap and liblber, found through pkg-config; see Sources/CLDAP/shim.h.
        .systemLibrary(
            name: "CLDAP",
            pkgConfig: "ldap",
            providers: [.apt(["libldap-dev", "libsasl2-dev"])]
        ),
        // Generic libldap wrapper: connect, TLS, binds, paged streaming search. No AD knowledge.
        .target(
            name: "LDAPClient",
            dependencies: ["CLDAP", .product(name: "Logging", package: "swift-log")]
        ),
        // Pure domain: records, matching, rules, findings. No I/O, no C.
        .target(name: "SyncAudit"),
        // AD decoders, the user query and RootDSE discovery -> DirectoryUser.
        .target(
            name: "ActiveDirectory",
            dependencies: ["LDAPClient", "SyncAudit", .product(name: "Logging", package: "swift-log")]
        ),
        // Cloud export readers -> CloudUser.
        .target(name: "CloudExport", dependencies: ["SyncAudit"]),
        // Pure renderers from a report value to text: table, json, csv, html, prometheus; explain; history.
        .target(name: "Reports", dependencies: ["SyncAudit", "RunHistory"]),
        // SQLite store of runs and findings: new / persisting / resolved.
        .target(name: "RunHistory", dependencies: ["SyncAudit", .product(name: "GRDB", package: "GRDB.swift")]),
        // `--config FILE`: a YAML file of options, turned into arguments before parsing.
        .target(
            name: "Configuration",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The thin executable: argument parsing, logging to stderr, wiring.
        .executableTarget(
            name: "phs-check",
            dependencies: [
                "LDAPClient", "ActiveDirectory", "SyncAudit", "CloudExport", "Reports", "RunHistory", "Configuration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SyncAuditTests", dependencies: ["SyncAudit"]),
        .testTarget(name: "ActiveDirectoryTests", dependencies: ["ActiveDirectory", "SyncAudit"]),
        .testTarget(name: "ConfigurationTests", dependencies: [
            "Configuration", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "RunHistoryTests", dependencies: ["RunHistory", "SyncAudit"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "SyncAudit"], resources: [.copy("Golden")]),
        .testTarget(name: "CloudExportTests", dependencies: ["CloudExport", "SyncAudit"], resources: [.copy("Fixtures")]),
        // Against the real test directory (scripts/test-directory.sh): Samba AD DC and slapd on loopback.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["LDAPClient", "ActiveDirectory", "SyncAudit", "phs-check"]
        ),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
        .enableUpcomingFeature("MemberImportVisibility"),
    ]
}
