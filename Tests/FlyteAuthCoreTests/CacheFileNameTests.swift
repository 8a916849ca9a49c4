import Testing

@testable import FlyteAuthCore

@Suite struct CacheFileNameTests {
    @Test func fnvMatchesTheReferenceVectors() {
        // FNV-1a 64-bit test vectors (draft-eastlake-fnv).
        #expect(CacheFileName.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(CacheFileName.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(CacheFileName.fnv1a64("foobar") == 0x8594_4171_f739_67e8)
    }

    @Test func namesAreReadableAndSafe() {
        let name = CacheFileName.make(prefix: "discovery-", key: "https://flyte.example.com:443", suffix: ".json")
        #expect(name.hasPrefix("discovery-flyte.example.com_443-") && name.hasSuffix(".json"))
        let hostile = CacheFileName.make(prefix: "", key: "../../etc/passwd\u{0}\u{e9}/" + String(repeating: "x", count: 500), suffix: ".lock")
        #expect(!hostile.contains("/") && !hostile.contains("\u{0}") && hostile.utf8.count < 120)
        #expect(hostile.allSatisfy { $0.isASCII })
    }

    @Test func keysThatLookAlikeGetDistinctNames() {
        // Both sanitize to "flyte_example"; the hash of the whole key keeps them apart.
        let a = CacheFileName.make(prefix: "", key: "flyte/example", suffix: "")
        let b = CacheFileName.make(prefix: "", key: "flyte:example", suffix: "")
        #expect(a != b)
        #expect(CacheFileName.make(prefix: "", key: "k", suffix: "") == CacheFileName.make(prefix: "", key: "k", suffix: ""))
    }
}
