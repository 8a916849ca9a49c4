import FlyteAuthCore

/// The production token cache: the tiers (kernel keyring, Secret Service, the opt-in
/// file; see TieredStore), a lock file per key. Where the files go was decided by
/// `ClientConfiguration`.
enum DefaultStorage {
    static let factory: StorageFactory = { key, configuration, tokenEndpoint, logger in
        let settings = configuration.settings
        let interactive = settings.authType.isInteractive
        let kernel = configuration.kernelKeyring == .off ? nil
            : KernelKeyringStore(mode: configuration.kernelKeyring, key: key, tokenEndpoint: tokenEndpoint,
                                 refreshWindow: settings.refreshWindowSeconds, logger: logger)
        var secretService: TokenStore?
        if settings.keyring {
            let mirror = interactive ? settings.mirrorLayouts.compactMap(ForeignLayout.init(rawValue:)) : []
            secretService = KeyringStore(keyring: SecretServiceKeyring(timeout: settings.keyringTimeoutSeconds), key: key,
                                 readLayouts: interactive ? ForeignLayout.allCases : [], mirrorLayouts: mirror,
                                 tokenEndpoint: tokenEndpoint, logger: logger)
        }
        let file = configuration.fileCachePath.map {
            FileStore(path: $0, key: key, tokenEndpoint: tokenEndpoint, lockTimeout: settings.lockTimeoutSeconds, logger: logger)
        }
        let store: TokenStore? = kernel == nil && secretService == nil && file == nil ? nil
            : TieredStore(kernel: kernel, secretService: secretService, file: file, logger: logger)
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
