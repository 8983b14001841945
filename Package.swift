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
        .library(name: "ConfigLoader", targets: ["ConfigLoader"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // Microsoft Graph (EntraGraph): HTTPS with a client made for it, JWT signing with
        // swift-crypto, the app's certificate read with swift-certificates.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
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
        // Microsoft Graph: app-only sign-in (secret or certificate), /users paging, tenant state,
        // Cloud Sync jobs, retries and throttling -> CloudUser and TenantFacts (via CloudExport).
        .target(
            name: "EntraGraph",
            dependencies: [
                "CloudExport", "SyncAudit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Pure renderers from a report value to text: table, json, csv, html, prometheus; explain; history.
        .target(name: "Reports", dependencies: ["SyncAudit", "RunHistory"]),
        // SQLite store of runs and findings: new / persisting / resolved.
        .target(name: "RunHistory", dependencies: ["SyncAudit", .product(name: "GRDB", package: "GRDB.swift")]),
        // `--config FILE`: a YAML file of options, turned into arguments before parsing.
        .target(
            name: "ConfigLoader",
            dependencies: [
                "SyncAudit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The thin executable: argument parsing, logging to stderr, wiring.
        .executableTarget(
            name: "phs-check",
            dependencies: [
                "LDAPClient", "ActiveDirectory", "SyncAudit", "CloudExport", "EntraGraph", "Reports", "RunHistory",
                "ConfigLoader",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SyncAuditTests", dependencies: ["SyncAudit"]),
        .testTarget(name: "ActiveDirectoryTests", dependencies: ["ActiveDirectory", "SyncAudit"]),
        .testTarget(name: "ConfigLoaderTests", dependencies: [
            "ConfigLoader", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "RunHistoryTests", dependencies: ["RunHistory", "SyncAudit"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "SyncAudit"], resources: [.copy("Golden")]),
        .testTarget(name: "CloudExportTests", dependencies: ["CloudExport", "SyncAudit"], resources: [.copy("Fixtures")]),
        .testTarget(name: "EntraGraphTests", dependencies: [
            "EntraGraph", "CloudExport", "SyncAudit", .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // Against the real test directory (scripts/test-directory.sh): Samba AD DC and slapd on loopback.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "LDAPClient", "ActiveDirectory", "SyncAudit", "CloudExport", "EntraGraph", "phs-check",
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
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
