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

/// The one rule for where a secret (client secret, refresh token, access token,
/// assertion, authorization code) may be sent: over https, or over http only to this
/// machine's loopback. A server's documents can never lower this.
public enum SecretDestination {
    /// Throws unless `url` may receive a secret. `what` names the endpoint in the error.
    public static func check(_ url: String, what: String) throws(AuthError) {
        guard let (scheme, host) = schemeAndHost(url) else {
            throw AuthError(.config, "\(what) \"\(ServerText.clean(url, limit: 200))\" is not an http(s) URL")
        }
        if scheme == "https" { return }
        if scheme == "http" && Loopback.isLoopback(host) { return }
        throw AuthError(.config, "\(what) \(ServerText.clean(url, limit: 200)) is plain HTTP to a host that is not this machine's loopback: refusing to send credentials there (use https)")
    }

    /// An endpoint the server named when the Flyte endpoint was reached over https must be
    /// https too: a hostile or downgraded document cannot move secrets to plain HTTP, even
    /// on loopback.
    public static func checkNamedByServer(_ url: String, what: String, serverBase: String) throws(AuthError) {
        guard serverBase.lowercased().hasPrefix("https://"), schemeAndHost(url)?.scheme != "https" else {
            return try check(url, what: what)
        }
        throw AuthError(.protocol, "\(serverBase) (https) names \(what) \(ServerText.clean(url, limit: 200)), which is not https: refusing to send credentials over plain HTTP; set it locally if this is really meant")
    }

    /// Scheme (lower-cased) and host (brackets removed, user-info dropped).
    public static func schemeAndHost(_ url: String) -> (scheme: String, host: String)? {
        guard let sep = url.firstRange(of: "://") else { return nil }
        let scheme = url[..<sep.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        var authority = url[sep.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            return (scheme, String(authority[authority.index(after: authority.startIndex)..<close]))
        }
        return (scheme, String(authority.prefix { $0 != ":" }))
    }
}

/// Token bytes: what may be put in a header, printed or cached. RFC 6750's b64token is
/// narrower; every token seen in the wild is printable ASCII without spaces, and that is
/// exactly what can never inject a header line or a terminal escape.
public enum TokenSyntax {
    public static func isValid(_ token: String) -> Bool {
        !token.isEmpty && token.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// Throws an error naming `source` (never the token) when `token` is not valid.
    public static func check(_ token: String, what: String = "access token", source: String, kind: ErrorKind = .protocol) throws(AuthError) {
        guard isValid(token) else {
            throw AuthError(kind, "the \(what) from \(source) is not usable: it contains spaces, control or non-ASCII characters (a token is printable ASCII); it was not used")
        }
    }
}
