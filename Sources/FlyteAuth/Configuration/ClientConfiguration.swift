import FlyteAuthCore

/// A client's settings with the environment applied: the one place that decides which
/// environment variable counts for what (documented at flyteauth_client_new in
/// include/flyteauth.h). Whatever the constructor, a client reads the environment here
/// and nowhere else (`client_secret_env_var` names its own variable, read by the flow).
public struct ClientConfiguration: Sendable {
    /// Validated; an API key's endpoint and auth type applied.
    public var settings: Settings
    public var apiKey: APIKey?
    public var endpoint: FlyteEndpoint?
    /// Discovery documents, and lock files without a runtime directory.
    public var cacheDirectory: String?
    /// The plaintext token file; nil when the file cache is off.
    public var fileCachePath: String?
    /// Where the cross-process lock files go.
    public var lockDirectory: String?
    /// The kernel keyring tier: the setting, else FLYTEAUTH_KERNEL_KEYRING, else persistent.
    public var kernelKeyring: KernelKeyringMode = .persistent
    /// What the configuration was taken to mean, for the client to say once (warnings).
    public var notices: [String] = []

    /// FLYTEAUTH_AUTH_TYPE (and the secret or command configured) for an unset "auth_type";
    /// FLYTE_API_KEY stands in for "api_key"; FLYTEAUTH_FILE_CACHE=1 for "file_cache";
    /// XDG_CACHE_HOME, XDG_STATE_HOME, XDG_RUNTIME_DIR and HOME place the files;
    /// FLYTEAUTH_KERNEL_KEYRING stands in for "kernel_keyring".
    public static func resolve(_ input: Settings, environment: Environment) throws(AuthError) -> ClientConfiguration {
        var settings = input
        try settings.validate()
        if !settings.authTypeIsSet {
            settings.authType = try AuthType.unset(for: settings, named: environment["FLYTEAUTH_AUTH_TYPE"])
        }
        var apiKey: APIKey?
        if settings.authType == .apiKey || settings.apiKey.nonEmpty != nil {
            guard let raw = settings.apiKey.nonEmpty ?? environment["FLYTE_API_KEY"] else {
                throw AuthError(.config, "auth type ApiKey needs \"api_key\" or the FLYTE_API_KEY environment variable")
            }
            let key = try APIKey(decoding: raw)
            apiKey = key
            settings.authType = .apiKey
            if settings.endpoint.nonEmpty == nil { settings.endpoint = key.endpoint }
        }
        if settings.authType == .externalCommand && settings.command == nil {
            throw AuthError(.config, "Command cannot be empty for command authenticator (set \"command\")")
        }
        var notices: [String] = []
        if settings.authType == .externalCommand, let command = settings.command,
           CommandRecursion.runsFlyteauth(command, environment: environment) {
            // The setup flytekit and flytectl are told to use: for flyteauth itself it
            // means "log in", never "run me again".
            notices.append("the token command `\(SpawnProcessRunner.display(command))` is flyteauth itself, which would run itself without end; flyteauth logs in with its own flow instead (\(AuthType.pkce.rawValue); set \"auth_type\" in the configuration's flyteauth: section to choose another)")
            settings.authType = .pkce
            settings.command = nil
        }
        let endpoint = try settings.endpoint.nonEmpty.map { (e) throws(AuthError) in
            try FlyteEndpoint(e, insecure: settings.insecure)
        }
        let cacheDirectory = environment.cacheDirectory(override: settings.cacheDir)
        let fileCache = settings.fileCache || EnvironmentValue.isTrue(environment["FLYTEAUTH_FILE_CACHE"])
        return ClientConfiguration(
            settings: settings, apiKey: apiKey, endpoint: endpoint, cacheDirectory: cacheDirectory,
            fileCachePath: fileCache ? settings.fileCachePath.nonEmpty ?? environment.stateDirectory.map { $0 + "/tokens.json" } : nil,
            lockDirectory: environment["XDG_RUNTIME_DIR"].map { $0 + "/flyteauth" } ?? cacheDirectory.map { $0 + "/locks" },
            kernelKeyring: KernelKeyringMode.effective(settings.kernelKeyring, environment: environment["FLYTEAUTH_KERNEL_KEYRING"]),
            notices: notices)
    }
}
