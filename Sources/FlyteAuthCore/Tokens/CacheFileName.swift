/// File names derived from keys (an endpoint URL, a cache key): readable, distinct per
/// key, safe in any directory. `discovery-flyte.example.com_443-6c62272e07bb0142.json`.
///
/// The hash is FNV-1a, not SHA-256: a file name is no secret and no security boundary
/// (each file records the key it belongs to and is checked on use), and OpenSSL's first
/// digest in a process costs a millisecond and 2 MB of resident memory, which every
/// process that only reads a cached token would pay at startup.
public enum CacheFileName {
    public static func make(prefix: String, key: String, suffix: String) -> String {
        var readable = Substring(key)
        for scheme in ["https://", "http://", "dns:///"] where readable.hasPrefix(scheme) {
            readable = readable.dropFirst(scheme.count)
        }
        let safe = String(readable.unicodeScalars.prefix(80).map { s -> Character in
            s.isASCII && (("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || s == "." || s == "-")
                ? Character(s) : "_"
        })
        let hex = String(fnv1a64(key), radix: 16)
        return prefix + safe + "-" + String(repeating: "0", count: 16 - hex.count) + hex + suffix
    }

    public static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }
}
