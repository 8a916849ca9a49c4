import ArgumentParser
import FlyteAuth
import FlyteAuthCore
import Glibc

/// Settings every command accepts; they win over the configuration file and FLYTE_*.
struct CommonOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Configuration file (default: the search flytekit uses).", completion: .file())
    var config: String?

    @Option(name: .shortAndLong, help: "Flyte endpoint, e.g. dns:///flyte.example.com or localhost:30080.")
    var endpoint: String?

    @Option(help: "Auth type: Pkce, DeviceFlow, ClientSecret, ExternalCommand (any flytekit spelling).",
            completion: .list(AuthType.allCases.map(\.rawValue)))
    var authType: String?

    @Option(help: "OAuth2 client id.")
    var clientId: String?

    @Option(help: "File holding the client secret.", completion: .file())
    var clientSecretLocation: String?

    @Option(help: "Scope to request (repeat for several).")
    var scope: [String] = []

    @Option(help: "Audience to request.")
    var audience: String?

    @Flag(help: "Plain HTTP to the endpoint.")
    var insecure = false

    @Flag(help: "Never open a browser or start a device login; fail if one is needed.")
    var nonInteractive = false

    @Flag(help: "Use the plaintext 0600 file cache where no keyring is available.")
    var fileCache = false

    @Option(help: "Extra settings as a JSON object (keys as in include/flyteauth.h).")
    var settings: String?

    /// The values the parser read, as plain data (what `token`'s fast path builds itself).
    var values: CommonValues {
        CommonValues(config: config, endpoint: endpoint, authType: authType, clientId: clientId,
                     clientSecretLocation: clientSecretLocation, scope: scope, audience: audience,
                     insecure: insecure, nonInteractive: nonInteractive, fileCache: fileCache, settings: settings)
    }

    func overrides() throws(AuthError) -> String { try values.overrides() }
    func resolve() throws(AuthError) -> ResolvedConfig { try values.resolve() }
    func settings(login policy: CommonValues.LoginPolicy) throws(AuthError) -> Settings { try values.settings(login: policy) }
    func client(login policy: CommonValues.LoginPolicy) throws(AuthError) -> AuthClient { try values.client(login: policy) }
}

/// The common options' values, apart from the argument parser's property wrappers, and
/// what they mean: one place for the parsed command and for `token`'s fast path.
struct CommonValues {
    var config: String?
    var endpoint: String?
    var authType: String?
    var clientId: String?
    var clientSecretLocation: String?
    var scope: [String] = []
    var audience: String?
    var insecure = false
    var nonInteractive = false
    var fileCache = false
    var settings: String?

    /// The overrides as a settings JSON object.
    func overrides() throws(AuthError) -> String {
        var o: [String: JSONValue] = [:]
        if let settings {
            guard let extra = (try JSONValue.parse(Array(settings.utf8), what: "--settings")).objectValue else {
                throw AuthError(.config, "--settings: expected a JSON object")
            }
            o = extra
        }
        if let endpoint { o["endpoint"] = .string(endpoint) }
        if let authType { o["auth_type"] = .string(authType) }
        if let clientId { o["client_id"] = .string(clientId) }
        if let clientSecretLocation { o["client_secret_location"] = .string(clientSecretLocation) }
        if !scope.isEmpty { o["scopes"] = .array(scope.map(JSONValue.string)) }
        if let audience { o["audience"] = .string(audience) }
        if insecure { o["insecure"] = true }
        if nonInteractive { o["interactive"] = false }
        if fileCache { o["file_cache"] = true }
        return JSONValue.object(o).serialized
    }

    func resolve() throws(AuthError) -> ResolvedConfig {
        try EngineFactory.resolveConfig(path: config, overridesJSON: try overrides())
    }

    /// When a command may start a browser or device login.
    enum LoginPolicy {
        /// `login`: always (that is what it is for).
        case always
        /// `token`, `whoami`: only when a person is at the terminal (stderr is a tty).
        case atTerminal
        /// `status`, `logout`, `doctor`: never.
        case never
    }

    /// The resolved settings with an endpoint, and `interactive` set by `policy`.
    func settings(login policy: LoginPolicy) throws(AuthError) -> Settings {
        var settings = try resolve().settings
        guard settings.endpoint.nonEmpty != nil || settings.tokenURL.nonEmpty != nil || settings.apiKey.nonEmpty != nil else {
            throw AuthError(.config, noEndpointMessage)
        }
        switch policy {
        case .always: settings.interactive = true
        case .atTerminal: if isatty(2) != 1 { settings.interactive = false }
        case .never: settings.interactive = false
        }
        return settings
    }

    func client(login policy: LoginPolicy) throws(AuthError) -> AuthClient {
        try EngineFactory.makeClient(settings: try settings(login: policy))
    }
}
