import FlyteAuthCore

/// A store that serves only the tokens its own credential and request obtained
/// (`CredentialBinding`): another binding's token is a miss, not an error, and stays for
/// the client it belongs to until this one replaces it.
struct BoundStore: TokenStore {
    let inner: TokenStore
    let binding: String
    /// A token without a known expiry is kept in memory only (a bare opaque token from a
    /// command): a cache cannot tell when to stop serving it.
    let needsExpiry: Bool

    var name: String { inner.name }

    func load() throws(AuthError) -> Credentials? {
        guard let c = try inner.load(), c.binding == binding else { return nil }
        return c
    }

    func save(_ credentials: Credentials) throws(AuthError) {
        if needsExpiry && credentials.expiresAt == nil { return }
        var c = credentials
        c.binding = binding
        try inner.save(c)
    }

    func remove() throws(AuthError) { try inner.remove() }

    func forgetRefreshToken(_ refreshToken: String) throws(AuthError) { try inner.forgetRefreshToken(refreshToken) }
}
