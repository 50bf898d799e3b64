// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tessera", targets: ["tessera"]),
        .library(name: "TesseraCore", targets: ["TesseraCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Already in the graph through async-http-client; named for its ByteBuffer and HTTP types.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // C libraries, each behind its own system-library target.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CFuse", pkgConfig: "fuse3", providers: [.apt(["libfuse3-dev"])]),
        // glibc functions Swift's Glibc module does not export (mallopt).
        .target(name: "CSystemShims"),

        // The root of the dependency graph: formats, crypto, chunking, index,
        // repository, archiver, restorer, checker and the local-folder backend.
        .target(
            name: "TesseraCore",
            dependencies: [
                "CZstd", "CSodium", "CSystemShims",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Backend implementations and the decorators shared by all of them
        // (retry, bandwidth limit, request counting); depends on the core only.
        .target(
            name: "TesseraBackends",
            dependencies: [
                "TesseraCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // The FUSE filesystem: every snapshot as a read-only folder.
        .target(
            name: "TesseraMount",
            dependencies: ["TesseraCore", "CFuse", .product(name: "Logging", package: "swift-log")]
        ),

        // The thin command-line layer.
        .executableTarget(
            name: "tessera",
            dependencies: [
                "TesseraCore", "TesseraBackends", "TesseraMount", "CSystemShims",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Starts the servers the tests talk to (moto's S3, rclone's restic REST).
        .target(name: "TesseraTestServers", path: "Sources/TesseraTestServers"),

        .testTarget(name: "TesseraCoreTests", dependencies: ["TesseraCore", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "TesseraMountTests", dependencies: ["TesseraMount", "TesseraCore", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "TesseraBackendsTests",
            dependencies: ["TesseraBackends", "TesseraCore", "TesseraTestServers", .product(name: "AsyncHTTPClient", package: "async-http-client")]
        ),
        // End-to-end tests: run the real `tessera` binary.
        .testTarget(
            name: "TesseraCLITests",
            dependencies: ["TesseraCore", "TesseraTestServers", .product(name: "Logging", package: "swift-log")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
