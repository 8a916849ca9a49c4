import FlyteAuthCore

/// The production token cache: the keyring (unless off), the file cache where opted in,
/// a lock file per key. Where the files go was decided by `ClientConfiguration`.
enum DefaultStorage {
    static let factory: StorageFactory = { key, configuration, tokenEndpoint, logger in
        let settings = configuration.settings
        let interactive = settings.authType.isInteractive
        var store: TokenStore?
        if settings.keyring {
            let mirror = interactive ? settings.mirrorLayouts.compactMap(ForeignLayout.init(rawValue:)) : []
            store = KeyringStore(keyring: SecretServiceKeyring(timeout: settings.keyringTimeoutSeconds), key: key,
                                 readLayouts: interactive ? ForeignLayout.allCases : [], mirrorLayouts: mirror,
                                 tokenEndpoint: tokenEndpoint, logger: logger)
        }
        if let path = configuration.fileCachePath {
            let file = FileStore(path: path, key: key, tokenEndpoint: tokenEndpoint, lockTimeout: settings.lockTimeoutSeconds)
            store = store.map { FallbackStore(primary: $0, fallback: file, logger: logger) } ?? file
        }
        var lock: CrossProcessLock?
        if let lockDir = configuration.lockDirectory {
            // No lock file, for whatever reason, means one warning and work unlocked.
            let unlocked = "refreshes are not coordinated with other processes"
            if Paths.makeDirectories(lockDir) {
                lock = FlockLock(path: lockDir + "/" + CacheFileName.make(prefix: "", key: key.fileKey, suffix: ".lock"),
                                 whenUnavailable: { why in logger.warnOnce("lock-dir", "\(why): \(unlocked)") })
            } else {
                logger.warnOnce("lock-dir", "cannot create \(lockDir): \(unlocked)")
            }
        }
        return Storage(store: store, lock: lock)
    }
}
