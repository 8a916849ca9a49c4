import FlyteAuthCore
import Synchronization

/// Builds clients with the production I/O adapters (curl, keyring, lock files).
public enum EngineFactory {
    public static func makeClient(settings: Settings) throws(AuthError) -> AuthClient {
        // Retries are logged by the client's logger, which exists once the client does.
        let log = RetryLog()
        let transport = RetryingTransport(CurlTransport(settings: settings)) { line in log.logger?.log(.info, line) }
        let client = try AuthClient(settings: settings, dependencies: .init(transport: transport, storage: defaultStorage))
        log.logger = client.logger
        return client
    }

    /// Settings from the user's Flyte configuration, environment and overrides.
    public static func resolveConfig(path: String?, overridesJSON: String?) throws(AuthError) -> ResolvedConfig {
        try ConfigLoader.resolve(path: path, overridesJSON: overridesJSON)
    }

    /// Keyring (unless off), the file cache where opted in, a lock file per key.
    public static let defaultStorage: StorageFactory = { key, settings, tokenEndpoint, logger in
        let interactive = settings.authType.isInteractive
        var store: TokenStore?
        if settings.keyring {
            let mirror = interactive ? settings.mirrorLayouts.compactMap(ForeignLayout.init(rawValue:)) : []
            store = KeyringStore(keyring: SecretServiceKeyring(timeout: settings.keyringTimeoutSeconds), key: key,
                                 readLayouts: interactive ? ForeignLayout.allCases : [], mirrorLayouts: mirror,
                                 tokenEndpoint: tokenEndpoint, logger: logger)
        }
        if settings.fileCache || EnvironmentValue.isTrue(Paths.environment("FLYTEAUTH_FILE_CACHE")) {
            if let path = settings.fileCachePath.nonEmpty ?? Paths.stateDirectory().map({ $0 + "/tokens.json" }) {
                let file = FileStore(path: path, key: key, tokenEndpoint: tokenEndpoint, lockTimeout: settings.lockTimeoutSeconds)
                store = store.map { FallbackStore(primary: $0, fallback: file, logger: logger) } ?? file
            }
        }
        var lock: CrossProcessLock?
        let lockDir = Paths.environment("XDG_RUNTIME_DIR").map { $0 + "/flyteauth" }
            ?? Paths.cacheDirectory(override: settings.cacheDir).map { $0 + "/locks" }
        if let lockDir {
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

/// Where a client's transport sends its retry lines: set once, right after the client is made.
private final class RetryLog: @unchecked Sendable {
    private let lock = Mutex<Logger?>(nil)
    var logger: Logger? {
        get { lock.withLock { $0 } }
        set { lock.withLock { $0 = newValue } }
    }
}

/// Settings resolved from several sources, with where each value came from.
public struct ResolvedConfig: Sendable {
    public var settings: Settings
    public var description: JSONValue
}
