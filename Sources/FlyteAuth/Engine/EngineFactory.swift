import FlyteAuthCore

/// Builds clients with the production I/O adapters (curl, keyring, lock files).
public enum EngineFactory {
    public static func makeClient(settings: Settings) throws(AuthError) -> AuthClient {
        try AuthClient(settings: settings, dependencies: .init(transport: RetryingTransport(CurlTransport(settings: settings)),
                                                               storage: defaultStorage))
    }

    /// Settings from the user's Flyte configuration, environment and overrides.
    public static func resolveConfig(path: String?, overridesJSON: String?) throws(AuthError) -> ResolvedConfig {
        try ConfigLoader.resolve(path: path, overridesJSON: overridesJSON)
    }

    /// Keyring (unless off), the file cache where opted in, a lock file per key.
    public static let defaultStorage: StorageFactory = DefaultStorage.factory
}

/// Settings resolved from several sources, with where each value came from.
public struct ResolvedConfig: Sendable {
    public var settings: Settings
    public var description: JSONValue
}
