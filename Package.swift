// swift-tools-version: 6.1
// libflyteauth: one Flyte authentication engine, exported as a C library.
import PackageDescription

// Distribution link flags (static Swift runtime, exported-symbol script, SONAME) are
// applied only when FLYTEAUTH_DIST=1, because -static-stdlib breaks `swift test`
// (build-notes.md). The Makefile sets it for the staged library and tool.
let dist = Context.environment["FLYTEAUTH_DIST"] == "1"
let versionScript = Context.packageDirectory + "/Sources/FlyteAuthABI/exports.map"
let libraryLinkFlags: [LinkerSetting] = dist ? [
    .unsafeFlags([
        "-static-stdlib", "-use-ld=lld",
        "-Xlinker", "--version-script=\(versionScript)",
        "-Xlinker", "-soname=libflyteauth.so.0",
        "-Xlinker", "-z", "-Xlinker", "now",
        "-Xlinker", "-z", "-Xlinker", "relro",
    ])
] : []
let toolLinkFlags: [LinkerSetting] = dist ? [.unsafeFlags([
    "-static-stdlib", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "now", "-Xlinker", "-z", "-Xlinker", "relro",
])] : []

let package = Package(
    name: "libflyteauth",
    products: [
        .library(name: "flyteauth", type: .dynamic, targets: ["FlyteAuthABI"]),
        .executable(name: "flyteauth-cli", targets: ["FlyteAuthCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, each with a shim header of static inline wrappers for what
        // Swift cannot call directly (variadic C functions, schemas).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSecret", pkgConfig: "libsecret-1", providers: [.apt(["libsecret-1-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CSystem"),
        // The public header itself, so the ABI layer uses its types and cannot drift from it.
        .systemLibrary(name: "CFlyteAuthHeader", path: "include"),
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),

        // Pure logic: parsing, flows as request builders and response interpreters,
        // refresh and cache policy. No I/O, no globals.
        .target(name: "FlyteAuthCore", dependencies: ["CCrypto", "CYAML"]),
        // The engine: orchestration, single-flight, and the I/O adapters.
        .target(name: "FlyteAuth", dependencies: ["FlyteAuthCore", "CCurl", "CSecret", "CCrypto", "CMicroHTTPD", "CSystem"]),
        // The C ABI: a thin translation layer over the engine.
        .target(name: "FlyteAuthABI", dependencies: ["FlyteAuth", "CSystem", "CFlyteAuthHeader"], linkerSettings: libraryLinkFlags),
        // The command-line tool, built on the engine (not on the C ABI).
        .executableTarget(
            name: "FlyteAuthCLI",
            dependencies: ["FlyteAuth", "CQREncode", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            linkerSettings: toolLinkFlags),

        .testTarget(name: "FlyteAuthCoreTests", dependencies: ["FlyteAuthCore"]),
    ],
    swiftLanguageModes: [.v6]
)
