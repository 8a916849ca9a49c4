// swift-tools-version: 6.1
// libflyteauth: one Flyte authentication engine, exported as a C library.
import PackageDescription

// Distribution link flags (static Swift runtime, exported-symbol script, SONAME) are
// applied only when FLYTEAUTH_DIST=1, because -static-stdlib breaks `swift test`
// (docs/build-notes.md). The Makefile sets it for the staged library and tool.
let dist = Context.environment["FLYTEAUTH_DIST"] == "1"
let versionScript = Context.packageDirectory + "/Sources/FlyteAuthABI/exports.map"
// DT_RELR (glibc 2.36+, Debian 12): the static Swift runtime's ~35,000 relative relocations
// in a few KB instead of 850 KB that every process would read at load. The Python wheel's
// copy (FLYTEAUTH_WHEEL=1, `make wheel`) must load on older glibc (GLIBC_ABI_DT_RELR is 2.36),
// so it goes without.
let relr: [String] = Context.environment["FLYTEAUTH_WHEEL"] == "1" ? [] : ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"]
// libstdc++ linked in, not loaded: the Swift runtime needs a few of its functions, and
// loading libstdc++.so costs every process ~4,300 symbol relocations at start and ~1 MB of
// resident pages. The Makefile points FLYTEAUTH_STATIC_LIBSTDCXX at a directory holding only
// the compiler's libstdc++.a, searched before the one with libstdc++.so; unset (or no archive
// found), libstdc++ stays a shared dependency as before.
let staticCxx: [String] = Context.environment["FLYTEAUTH_STATIC_LIBSTDCXX"].map { $0.isEmpty ? [] : ["-L", $0] } ?? []
// Start-up code together: every function a process runs from dlopen (or exec) to its first
// header is placed first in .text, in the order scripts/gen-startup-order.sh recorded
// (scripts/startup.order), so those pages, and the 64 KB the kernel maps around each page
// touched, hold start-up code rather than the rest of the library. Each function of ours
// is its own section for the linker to place; a symbol the list names that no longer
// exists is skipped without a warning. The Makefile sets FLYTEAUTH_ORDER_FILE when the
// list exists.
let orderFile: [String] = Context.environment["FLYTEAUTH_ORDER_FILE"].map {
    $0.isEmpty ? [] : ["-Xlinker", "--symbol-ordering-file=\($0)", "-Xlinker", "--no-warn-symbol-ordering"]
} ?? []
let distSwiftSettings: [SwiftSetting] = dist ? [.unsafeFlags(["-Xfrontend", "-function-sections"])] : []
let distCSettings: [CSetting] = dist ? [.unsafeFlags(["-ffunction-sections"])] : []
let libraryLinkFlags: [LinkerSetting] = dist ? [
    .unsafeFlags(staticCxx + orderFile + [
        "-static-stdlib", "-use-ld=lld",
        "-Xlinker", "--version-script=\(versionScript)",
        "-Xlinker", "-soname=libflyteauth.so.0",
        "-Xlinker", "-z", "-Xlinker", "now",
        "-Xlinker", "-z", "-Xlinker", "relro",
    ] + relr)
] : []
let toolLinkFlags: [LinkerSetting] = dist ? [.unsafeFlags(staticCxx + orderFile + [
    "-static-stdlib", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "now", "-Xlinker", "-z", "-Xlinker", "relro",
] + relr)] : []

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
        // libc and the kernel: static inline wrappers for what Swift cannot call directly
        // (variadic `syscall`, GNU extensions).
        .systemLibrary(name: "CSystem"),
        // The public header itself, so the ABI layer uses its types and cannot drift from it.
        .systemLibrary(name: "CFlyteAuthHeader", path: "include"),
        // Every library the warm path does not need is loaded on first use (dlopen) rather
        // than linked, so a host whose token comes from the kernel keyring maps none of
        // them or their dependencies: C targets holding the loaders and the wrappers for
        // what Swift cannot call. libcurl (requests), libmicrohttpd (the PKCE listener),
        // libsecret with GLib/GIO (the Secret Service tier), libcrypto (the PKCE
        // challenge's SHA-256), libyaml (YAML configuration files).
        .target(name: "CCurl", cSettings: distCSettings),
        .target(name: "CMicroHTTPD", cSettings: distCSettings),
        .target(name: "CSecret", cSettings: distCSettings),
        .target(name: "CCrypto", cSettings: distCSettings),
        .target(name: "CYAML", cSettings: distCSettings),
        // Older glibc symbol versions for references the static Swift runtime makes, so the
        // binaries load on glibc 2.34 (the wheel's manylinux tag; see packaging/README.md).
        .target(name: "CGlibcCompat", cSettings: distCSettings),
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),

        // Pure logic: parsing, flows as request builders and response interpreters,
        // refresh and cache policy. No I/O, no globals.
        .target(name: "FlyteAuthCore", dependencies: ["CCrypto", "CYAML"], swiftSettings: distSwiftSettings),
        // The engine: orchestration, single-flight, and the I/O adapters.
        .target(name: "FlyteAuth", dependencies: ["FlyteAuthCore", "CCurl", "CSecret", "CMicroHTTPD", "CSystem"],
                swiftSettings: distSwiftSettings),
        // The C ABI: a thin translation layer over the engine.
        .target(name: "FlyteAuthABI", dependencies: ["FlyteAuth", "CSystem", "CFlyteAuthHeader", "CGlibcCompat"],
                swiftSettings: distSwiftSettings, linkerSettings: libraryLinkFlags),
        // The command-line tool, built on the engine (not on the C ABI).
        .executableTarget(
            name: "FlyteAuthCLI",
            dependencies: ["FlyteAuth", "CQREncode", "CGlibcCompat", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: distSwiftSettings, linkerSettings: toolLinkFlags),

        .testTarget(name: "FlyteAuthCoreTests", dependencies: ["FlyteAuthCore"]),
        // The engine driven in-process with fakes (transport, storage, clock, runner, fork).
        .testTarget(name: "FlyteAuthTests", dependencies: ["FlyteAuth", "FlyteAuthCore"]),
    ],
    swiftLanguageModes: [.v6]
)
