import FlyteAuthCore

/// Builds clients with the production I/O adapters (curl, keyring, lock files).
public enum EngineFactory {
    public static func makeClient(settings: Settings) throws(AuthError) -> AuthClient {
        try AuthClient(settings: settings)
    }

    /// Settings from the user's Flyte configuration, environment and overrides.
    public static func resolveConfig(path: String?, overridesJSON: String?) throws(AuthError) -> ResolvedConfig {
        throw AuthError(.unsupported, "reading the Flyte configuration is not implemented yet")
    }
}

/// Settings resolved from several sources, with where each value came from.
public struct ResolvedConfig: Sendable {
    public var settings: Settings
    public var description: JSONValue
}
