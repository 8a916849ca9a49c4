import FlyteAuthCore

/// Builds clients with the production I/O adapters (curl, keyring, lock files).
public enum EngineFactory {
    public static func makeClient(settings: Settings) throws(AuthError) -> AuthClient {
        try AuthClient(settings: settings, dependencies: .init(storage: defaultStorage))
    }

    /// Settings from the user's Flyte configuration, environment and overrides.
    public static func resolveConfig(path: String?, overridesJSON: String?) throws(AuthError) -> ResolvedConfig {
        try ConfigLoader.resolve(path: path, overridesJSON: overridesJSON)
    }

    /// The tiers (kernel keyring, Secret Service, the opt-in file; see TieredStore), a
    /// lock file per key.
    public static let defaultStorage: StorageFactory = { key, settings, tokenEndpoint, logger in
        let interactive = settings.authType.isInteractive
        let mode = KernelKeyringMode.effective(settings.kernelKeyring, environment: Paths.environment("FLYTEAUTH_KERNEL_KEYRING"))
        let kernel = mode == .off ? nil
            : KernelKeyringStore(mode: mode, key: key, tokenEndpoint: tokenEndpoint,
                                 refreshWindow: settings.refreshWindowSeconds, logger: logger)
        var secretService: TokenStore?
        if settings.keyring {
            let mirror = interactive ? settings.mirrorLayouts.compactMap(ForeignLayout.init(rawValue:)) : []
            secretService = KeyringStore(keyring: SecretServiceKeyring(timeout: settings.keyringTimeoutSeconds), key: key,
                                         readLayouts: interactive ? ForeignLayout.allCases : [], mirrorLayouts: mirror,
                                         tokenEndpoint: tokenEndpoint, logger: logger)
        }
        var file: TokenStore?
        if settings.fileCache || EnvironmentValue.isTrue(Paths.environment("FLYTEAUTH_FILE_CACHE")) {
            if let path = settings.fileCachePath.nonEmpty ?? Paths.stateDirectory().map({ $0 + "/tokens.json" }) {
                file = FileStore(path: path, key: key, tokenEndpoint: tokenEndpoint, lockTimeout: settings.lockTimeoutSeconds)
            }
        }
        let store: TokenStore? = kernel == nil && secretService == nil && file == nil ? nil
            : TieredStore(kernel: kernel, secretService: secretService, file: file, logger: logger)
        var lock: CrossProcessLock?
        let lockDir = Paths.environment("XDG_RUNTIME_DIR").map { $0 + "/flyteauth" }
            ?? Paths.cacheDirectory(override: settings.cacheDir).map { $0 + "/locks" }
        if let lockDir {
            if Paths.makeDirectories(lockDir) {
                lock = FlockLock(path: lockDir + "/" + CacheFileName.make(prefix: "", key: key.fileKey, suffix: ".lock"))
            } else {
                logger.warnOnce("lock-dir", "cannot create \(lockDir): refreshes are not coordinated with other processes")
            }
        }
        return Storage(store: store, lock: lock)
    }
}

/// Settings resolved from several sources, with where each value came from.
public struct ResolvedConfig: Sendable {
    public var settings: Settings
    public var description: JSONValue
}
