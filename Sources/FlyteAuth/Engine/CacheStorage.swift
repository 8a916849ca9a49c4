import FlyteAuthCore
import Synchronization

/// A client's token cache and cross-process lock, made on first use: a PKCE client's
/// id, part of the cache key, may only be known after discovery.
final class CacheStorage: Sendable {
    private let factory: StorageFactory?
    private let made = Mutex<Storage?>(nil)
    private let binding: String?
    private let keyClientID: String?

    /// `factory` nil: this client's tokens are not cached (passthrough). `binding`: only
    /// tokens with this tag are served (`BoundStore`). `keyClientID`: the cache key's
    /// client id whatever the parameters say (a token command's slot).
    init(factory: StorageFactory?, binding: String? = nil, keyClientID: String? = nil) {
        self.factory = factory
        self.binding = binding
        self.keyClientID = keyClientID
    }

    var isCached: Bool { factory != nil }

    /// The storage, if it was made already.
    var opened: Storage? { made.withLock { $0 } }

    func storage(endpoint: FlyteEndpoint?, configuration: ClientConfiguration, cacheClientID: String?, logger: Logger,
                 parameters: () throws(AuthError) -> AuthParameters) throws(AuthError) -> Storage {
        if let opened { return opened }
        guard let factory, let endpoint else { return Storage(store: nil, lock: nil) }
        let p = try parameters()
        guard let clientID = keyClientID ?? p.clientID ?? cacheClientID else { return Storage(store: nil, lock: nil) }
        var storage = factory(CacheKey(endpoint: endpoint, clientID: clientID), configuration, p.tokenEndpoint, logger)
        if let binding, let store = storage.store {
            storage.store = BoundStore(inner: store, binding: binding, needsExpiry: keyClientID != nil)
        }
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
