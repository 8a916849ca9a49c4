/// When to refresh a token. Inside the soft window the current token is still handed out
/// while a refresh runs in the background; past the hard deadline callers wait for a new
/// one. Both windows shrink for short-lived tokens so a 5 s token is not always "expiring".
/// An unverified token is past both at once: it is checked (refreshed, or without a
/// refresh token sent once to the IdP's userinfo endpoint) before it is served.
public struct RefreshPolicy: Sendable, Equatable {
    /// Configured lead time before expiry.
    public var window: Double

    public init(window: Double) { self.window = window }

    /// From then on, refresh in the background.
    public func softDeadline(for c: Credentials) -> Double {
        if mustRevalidate(c) { return -.infinity }
        guard let expiresAt = c.expiresAt else { return .infinity }
        return expiresAt - min(window, lifetime(c) / 2)
    }

    /// From then on, the token is not handed out: network latency and clock skew would
    /// make it arrive expired.
    public func hardDeadline(for c: Credentials) -> Double {
        if mustRevalidate(c) { return -.infinity }
        guard let expiresAt = c.expiresAt else { return .infinity }
        return expiresAt - min(10, window, lifetime(c) / 10)
    }

    /// Unverified and checkable: one request settles it (a refresh, or without a refresh
    /// token and without a known expiry the identity check of `ImportedToken`). A suspect
    /// token with a known expiry and nothing to refresh it with is served until then.
    public func mustRevalidate(_ c: Credentials) -> Bool { c.unverified && (c.refreshToken != nil || c.expiresAt == nil) }

    private func lifetime(_ c: Credentials) -> Double {
        guard let expiresAt = c.expiresAt else { return .infinity }
        return max(0, expiresAt - c.obtainedAt)
    }
}
