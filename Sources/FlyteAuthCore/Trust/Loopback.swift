/// Which hosts are this machine's loopback, decided from the text alone (no DNS): a
/// literal 127.0.0.0/8 address in strict dotted-quad form, `::1`, or `localhost`.
/// Anything else (`127.1`, `0x7f.0.0.1`, `127.0.0.1.nip.io`) is not: those resolve
/// elsewhere or bind every interface.
public enum Loopback {
    /// The address to bind for `host`, or nil when `host` is not literal loopback.
    /// `localhost` is 127.0.0.1 (RFC 8252 8.3: literal addresses, not names).
    public static func bindAddress(_ host: String) -> String? {
        let h = host.lowercased()
        if h == "localhost" { return "127.0.0.1" }
        if isIPv6Loopback(h) { return "::1" }
        if let octets = ipv4(h), octets[0] == 127 { return h }
        return nil
    }

    public static func isLoopback(_ host: String) -> Bool { bindAddress(host) != nil }

    /// Four decimal octets, 0-255, no leading zeros, nothing else.
    public static func ipv4(_ text: String) -> [Int]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [Int] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  p == "0" || !p.hasPrefix("0"), let n = Int(p), n <= 255 else { return nil }
            out.append(n)
        }
        return out
    }

    private static func isIPv6Loopback(_ h: String) -> Bool {
        // Every spelling of ::1 is eight groups whose last is 1 and the rest 0.
        guard h.contains(":"), h.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || $0 == 0x3A }) else { return false }
        let halves: [String]
        if let r = h.firstRange(of: "::") {
            let tail = String(h[r.upperBound...])
            guard !tail.contains("::") else { return false }
            halves = [String(h[..<r.lowerBound]), tail]
        } else {
            halves = [h]
        }
        func groups(_ s: String) -> [Int]? {
            if s.isEmpty { return [] }
            var out: [Int] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, let n = Int(g, radix: 16) else { return nil }
                out.append(n)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return false }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return false }
            all += [Int](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        return all.count == 8 && all.dropLast().allSatisfy { $0 == 0 } && all.last == 1
    }
}
