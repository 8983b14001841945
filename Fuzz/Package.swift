// swift-tools-version: 6.1
// libFuzzer targets for phs-check's input readers. Not part of the product: build and run them
// with scripts/fuzz.sh, which builds with
//   swift build --package-path Fuzz --scratch-path Fuzz/.build -c release \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing
// (`-enable-testing` because the targets use `@testable import` to reach in-memory entry points,
// tiny buffers and the config loader's internals).
import PackageDescription

let cloud: [Target.Dependency] = ["FuzzSupport", "CloudFuzzing", .product(name: "CloudExport", package: "phs-check")]

/// One libFuzzer executable per reader; the name is also its folder under Corpus/ and Regressions/.
let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("FuzzGraphJSON", cloud),
    ("FuzzMgCSV", cloud),
    ("FuzzMsolCSV", cloud),
    ("FuzzCloudExport", cloud),
    ("FuzzTenantFacts", cloud),
    ("FuzzGzip", cloud),
    ("FuzzSnapshot", ["FuzzSupport", .product(name: "SyncAudit", package: "phs-check")]),
    ("FuzzConfig", ["FuzzSupport", .product(name: "ConfigLoader", package: "phs-check"),
                    .product(name: "ArgumentParser", package: "swift-argument-parser"),
                    .product(name: "Yams", package: "Yams")]),
    ("FuzzADDecoders", ["FuzzSupport", .product(name: "ActiveDirectory", package: "phs-check"),
                        .product(name: "SyncAudit", package: "phs-check")]),
]

let package = Package(
    name: "phs-check-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "phs-check", path: ".."),
        // The root package's own requirements: the config target defines commands and walks YAML.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // The libFuzzer driver entry and the invariant check every target uses.
        .target(name: "FuzzSupport"),
        // What the cloud export and tenant targets share: option sets, streams, invariants.
        .target(name: "CloudFuzzing", dependencies: [
            "FuzzSupport",
            .product(name: "CloudExport", package: "phs-check"),
            .product(name: "SyncAudit", package: "phs-check"),
        ]),
    ] + fuzzTargets.map { .executableTarget(name: $0.name, dependencies: $0.dependencies) }
)
