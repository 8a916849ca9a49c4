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
    public static let defaultStorage: StorageFactory = DefaultStorage.factory
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
