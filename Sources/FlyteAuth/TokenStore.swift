import FlyteAuthCore

/// Where credentials live between processes (keyring, file). Implementations must be
/// safe to call from several threads.
public protocol TokenStore: Sendable {
    /// For messages and `status`: "Secret Service", "file /path".
    var name: String { get }
    func load() throws(AuthError) -> Credentials?
    func save(_ credentials: Credentials) throws(AuthError)
    func remove() throws(AuthError)
}

/// Serialises refreshes of one cache key across processes.
public protocol CrossProcessLock: Sendable {
    func withLock<T>(timeout: Double, cancel: CancelToken?, _ body: () throws(AuthError) -> T) throws(AuthError) -> T
}
