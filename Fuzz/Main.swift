// libFuzzer entry points for the Core parsers. One binary holds every target (one build
// instead of sixteen on a 2-core machine); FUZZ_TARGET picks the one this process runs.
// Compiled as one module with Sources/FlyteAuthCore (Fuzz/build.sh).

#if canImport(Glibc)
    import Glibc
#endif

nonisolated(unsafe) private var selected: (([UInt8]) -> Void)?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>)
    -> Int32
{
    let name = getenv("FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTargets.all[name] else {
        let known = FuzzTargets.all.keys.sorted().joined(separator: " ")
        let line = "FUZZ_TARGET must name a target; known: \(known)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }
    selected = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selected?(bytes)
    return 0
}

/// A failed property: abort so libFuzzer records the input as a crash.
func fuzzCheck(_ condition: Bool, _ what: @autoclosure () -> String) {
    guard !condition else { return }
    let line = "fuzz property failed: \(what())\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    abort()
}

/// Splits an input into `count` parts at NUL bytes (missing parts are empty), for
/// targets whose parser takes several strings.
func fuzzParts(_ bytes: [UInt8], _ count: Int) -> [String] {
    var parts = bytes.split(separator: 0, maxSplits: count - 1, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    while parts.count < count { parts.append("") }
    return parts
}
