import FlyteAuthCore
import Synchronization

/// A client's token cache and cross-process lock, made on first use: a PKCE client's
/// id, part of the cache key, may only be known after discovery.
final class CacheStorage: Sendable {
    private let factory: StorageFactory?
    private let made = Mutex<Storage?>(nil)

    /// `factory` nil: this client's tokens are not cached (command, passthrough).
    init(factory: StorageFactory?) { self.factory = factory }

    var isCached: Bool { factory != nil }

    /// The storage, if it was made already.
    var opened: Storage? { made.withLock { $0 } }

    func storage(
        endpoint: FlyteEndpoint?, configuration: ClientConfiguration, cacheClientID: String?, logger: Logger,
        parameters: () throws(AuthError) -> AuthParameters
    ) throws(AuthError) -> Storage {
        if let opened { return opened }
        guard let factory, let endpoint else { return Storage(store: nil, lock: nil) }
        let p = try parameters()
        guard let clientID = p.clientID ?? cacheClientID else { return Storage(store: nil, lock: nil) }
        let storage = factory(CacheKey(endpoint: endpoint, clientID: clientID), configuration, p.tokenEndpoint, logger)
        return made.withLock { existing in
            if let existing { return existing }
            existing = storage
            return storage
        }
    }

    /// Where tokens are cached, for display.
    var description: String {
        opened?.store?.name ?? (isCached ? "memory only" : "not cached (memory only)")
    }
}
