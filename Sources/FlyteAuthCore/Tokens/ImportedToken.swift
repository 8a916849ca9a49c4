/// The rule for a login read from another tool's layout (README "Sharing the login").
/// flytekit and flyte-sdk store no expiry, so an opaque (non-JWT) access token arrives
/// with no lifetime; it is not served on trust:
/// - with a refresh token it is marked unverified: refreshed once before it is served,
///   and the refreshed tokens are stored with the lifetime the IdP gave;
/// - without one nothing can check it: it is given `assumedLifetime` from the moment
///   libflyteauth first saw it, after which the flow runs again.
/// An adopted login that needs no check is recorded as ours at once (our item and every
/// mirror), so the first libflyteauth process after a flytekit login also logs in
/// flyte-sdk and flytectl, and the assumed lifetime counts from that first sighting.
public enum ImportedToken {
    /// The shortest default access-token lifetime among common IdPs (Keycloak: 5 min).
    public static let assumedLifetime: Double = 300

    /// `c` as the cache serves it.
    public static func adopt(_ c: Credentials, now: Double) -> Credentials {
        var copy = c
        guard copy.expiresAt == nil else { return copy }
        if copy.refreshToken != nil {
            copy.unverified = true
            return copy
        }
        copy.obtainedAt = now
        copy.expiresAt = now + assumedLifetime
        return copy
    }
}
