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
}

extension TokenStore {
    /// For a store that keeps one copy: rewrite it without the refresh token.
    public func forgetRefreshToken(_ refreshToken: String) throws(AuthError) {
        guard var c = try load(), c.refreshToken == refreshToken else { return }
        c.refreshToken = nil
        try save(c)
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
