import FlyteAuthCore

/// Where credentials live between processes (keyring, file). Implementations must be
/// safe to call from several threads.
public protocol TokenStore: Sendable {
    /// For messages and `status`: "Secret Service", "file /path".
    var name: String { get }
    func load() throws(AuthError) -> Credentials?
    func save(_ credentials: Credentials) throws(AuthError)
    func remove() throws(AuthError)
    /// Drops `refreshToken` (refused by the IdP) wherever this store keeps it, keeping
    /// the rest of the credentials.
    func forgetRefreshToken(_ refreshToken: String) throws(AuthError)
    /// The newest state, read from the durable tiers only (what a refresh starts from,
    /// under the cross-process lock), never from a cache of them.
    func loadAuthoritative() throws(AuthError) -> AuthoritativeRead
    /// A server rejected `accessToken`: no tier may serve it again.
    func invalidate(accessToken: String) throws(AuthError)
}

extension TokenStore {
    /// For a store that keeps one copy: rewrite it without the refresh token.
    public func forgetRefreshToken(_ refreshToken: String) throws(AuthError) {
        guard var c = try load(), c.refreshToken == refreshToken else { return }
        c.refreshToken = nil
        try save(c)
    }

    /// A store of one copy is its own authority.
    public func loadAuthoritative() throws(AuthError) -> AuthoritativeRead {
        AuthoritativeRead(credentials: try load(), definitive: true)
    }

    /// For a store that keeps one copy: the rejected token stays, marked expired, so the
    /// refresh token it carries is still there for the refresh that replaces it.
    public func invalidate(accessToken: String) throws(AuthError) {
        guard var c = try load(), c.accessToken == accessToken else { return }
        let now = Clock.now()
        c.expiresAt = min(c.expiresAt ?? now, now) - 1
        if c.refreshToken == nil { try remove() } else { try save(c) }
    }
}

/// What the durable tiers hold now.
public struct AuthoritativeRead: Sendable {
    public var credentials: Credentials?
    /// false: they could not be read (a Secret Service restarting, none on this machine)
    /// and `credentials` is the kernel tier's copy, or nil when it has none: then nothing
    /// says the login was ended, and the copy in memory may still be used.
    public var definitive: Bool
    /// Not definitive because a Secret Service that should answer did not (a daemon
    /// restarting), as opposed to none on this machine.
    public var durableTierDown: Bool
    public init(credentials: Credentials?, definitive: Bool, durableTierDown: Bool = false) {
        self.credentials = credentials
        self.definitive = definitive
        self.durableTierDown = durableTierDown
    }
}

/// Serialises refreshes of one cache key across processes.
public protocol CrossProcessLock: Sendable {
    func withLock<T>(timeout: Double, cancel: CancelToken?, _ body: () throws(AuthError) -> T) throws(AuthError) -> T
}

/// A client's cache and lock, made once its cache key is known.
public struct Storage: Sendable {
    public var store: TokenStore?
    public var lock: CrossProcessLock?
    public init(store: TokenStore?, lock: CrossProcessLock?) {
        self.store = store
        self.lock = lock
    }
}

/// Builds the storage for a key: (key, configuration, token endpoint, logger).
public typealias StorageFactory = @Sendable (CacheKey, ClientConfiguration, String?, Logger) -> Storage
