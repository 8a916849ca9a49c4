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
