/// The rule for a login read from another tool's layout (README "Sharing the login").
/// flytekit and flyte-sdk store no expiry, so an opaque (non-JWT) access token arrives
/// with no lifetime; it is not served on trust, and no lifetime is made up for it:
/// - with a refresh token it is refreshed once before it is served, and the refreshed
///   tokens are stored with the lifetime the IdP gave;
/// - without one it is checked with one request (the IdP's userinfo endpoint) before it
///   is first served: a token the IdP refuses is never served; one it accepts is served,
///   its lifetime shown as unknown, until a server rejects it (`UnknownLifetime`).
/// An adopted login that needs no check is recorded as ours at once (our item and every
/// mirror), so the first libflyteauth process after a flytekit login also logs in
/// flyte-sdk and flytectl.
public enum ImportedToken {
    /// `c` as the cache serves it.
    public static func adopt(_ c: Credentials, now: Double) -> Credentials {
        var copy = c
        guard copy.expiresAt == nil else { return copy }
        copy.unverified = true
        if copy.refreshToken == nil { copy.obtainedAt = now }
        return copy
    }
}

/// The answer of the one request that checks a token of unknown lifetime.
public enum UnknownLifetime: Sendable, Equatable {
    /// The IdP accepted it just now.
    case accepted
    /// The IdP refused it (HTTP 401 or 403): never served.
    case refused(status: Int)
    /// No answer to go by (a 5xx, an unexpected status): not served now, checked again later.
    case unknown(status: Int)

    public static func verdict(status: Int) -> UnknownLifetime {
        switch status {
        case 200..<300: return .accepted
        case 401, 403: return .refused(status: status)
        default: return .unknown(status: status)
        }
    }
}
