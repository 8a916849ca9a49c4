/// Everything a client is configured with. Built from the JSON settings object of
/// `flyteauth_client_new`, or from the user's Flyte configuration (see `FlyteConfig`).
public struct Settings: Sendable, Equatable {
    public var endpoint: String?
    public var insecure = false
    public var insecureSkipVerify = false
    public var caCertFilePath: String?
    public var httpProxyURL: String?
    /// Pkce until set; a client whose settings never set it gets `AuthType.unset(for:)`.
    public var authType: AuthType = .pkce { didSet { authTypeIsSet = true } }
    /// Whether anything (a key, a configuration file, code) chose the auth type.
    public private(set) var authTypeIsSet = false
    public var clientID: String?
    public var clientSecret: String?
    public var clientSecretLocation: String?
    public var clientSecretEnvVar: String?
    public var apiKey: String?
    public var scopes: [String]?
    public var audience: String?
    public var useAudienceFromAdmin = false
    public var command: [String]?
    public var proxyCommand: [String]?
    public var authorizationHeader: String?
    public var tokenURL: String?
    public var authorizationEndpoint: String?
    public var deviceAuthorizationEndpoint: String?
    public var redirectURI: String?
    public var refreshWindowSeconds: Double = 60
    public var httpTimeoutSeconds: Double = 30
    public var connectTimeoutSeconds: Double = 10
    public var commandTimeoutSeconds: Double = 60
    public var loginTimeoutSeconds: Double = 120
    public var deviceFlowTimeoutSeconds: Double = 600
    public var lockTimeoutSeconds: Double = 30
    public var keyringTimeoutSeconds: Double = 5
    public var discoveryCacheTTLSeconds: Double = 3600
    public var cacheDir: String?
    public var interactive = true
    public var keyring = true
    public var fileCache = false
    public var fileCachePath: String?
    /// Every layout by default, so one login serves flytekit, flyte-sdk and flytectl.
    public var mirrorLayouts: [String] = ["flytekit", "flyte-sdk", "flytectl"]
    /// nil: FLYTEAUTH_KERNEL_KEYRING if set, else persistent (see `KernelKeyringMode`).
    public var kernelKeyring: KernelKeyringMode?
    /// nil: client_secret_basic with a secret, else none (a public client).
    public var clientAuthMethod: ClientAuthMethod?
    /// PEM private key: signs private_key_jwt assertions, and is the TLS client key.
    public var privateKeyFile: String?
    /// The assertion's `kid`; nil: the key's RFC 7638 thumbprint.
    public var privateKeyID: String?
    /// PEM certificate: `x5t#S256` in assertions, and the TLS client certificate.
    public var certificateFile: String?
    /// The assertion's `aud`; nil: the token endpoint.
    public var clientAssertionAudience: String?
    /// An external token sent as the client assertion (workload identity).
    public var clientAssertion: CredentialSource?
    /// Token exchange (RFC 8693): the token to exchange, and an optional actor's.
    public var subjectToken: CredentialSource?
    public var subjectTokenType: String?
    public var actorToken: CredentialSource?
    public var actorTokenType: String?
    public var requestedTokenType: String?
    public var resource: String?

    public init() {}

    /// The settings keys, in the order the documentation lists them.
    public static var keys: [String] { fields.map(\.key) }

    /// Parses a settings JSON object. Unknown keys and wrong types are errors naming the key.
    public static func parse(json bytes: some Collection<UInt8>) throws(AuthError) -> Settings {
        let document: JSONValue
        do { document = try JSONValue.parse(bytes, what: "settings") } catch { throw AuthError(.config, error.message) }
        guard let object = document.objectValue else {
            throw AuthError(.config, "settings: expected a JSON object")
        }
        var settings = Settings()
        try settings.apply(object, source: "settings")
        try settings.validate()
        return settings
    }

    /// Applies `object`'s keys over the current values. `source` names where they came from.
    public mutating func apply(_ object: [String: JSONValue], source: String) throws(AuthError) {
        for key in object.keys.sorted() {
            guard let field = Settings.fieldsByKey[key] else {
                throw AuthError(.config, "\(source): unknown setting \"\(key)\"" + Settings.suggestion(for: key))
            }
            let value = object[key]!
            if case .null = value { continue }
            try field.apply(&self, value, "\(source): setting \"\(key)\"")
        }
    }

    /// The longest any duration setting may be: longer is a typo, not a wish.
    public static let maximumDurationSeconds: Double = 86_400 * 365
    /// The shortest timeout: curl counts in whole milliseconds and reads 0 as "never".
    public static let minimumTimeoutSeconds: Double = 0.001

    /// Checks values that are wrong whatever else is set.
    public func validate() throws(AuthError) {
        for (name, value) in [("refresh_window_seconds", refreshWindowSeconds), ("http_timeout_seconds", httpTimeoutSeconds),
                              ("connect_timeout_seconds", connectTimeoutSeconds), ("command_timeout_seconds", commandTimeoutSeconds),
                              ("login_timeout_seconds", loginTimeoutSeconds), ("device_flow_timeout_seconds", deviceFlowTimeoutSeconds),
                              ("lock_timeout_seconds", lockTimeoutSeconds), ("keyring_timeout_seconds", keyringTimeoutSeconds),
                              ("discovery_cache_ttl_seconds", discoveryCacheTTLSeconds)] {
            guard value.isFinite, value >= 0, value <= Settings.maximumDurationSeconds else {
                throw AuthError(.config, "settings: \"\(name)\" must be a number of seconds between 0 and one year (got \(value))")
            }
        }
        // A deadline, never "none": zero and sub-millisecond values would reach curl as 0.
        for (name, value) in [("http_timeout_seconds", httpTimeoutSeconds), ("connect_timeout_seconds", connectTimeoutSeconds),
                              ("command_timeout_seconds", commandTimeoutSeconds), ("login_timeout_seconds", loginTimeoutSeconds),
                              ("device_flow_timeout_seconds", deviceFlowTimeoutSeconds),
                              ("keyring_timeout_seconds", keyringTimeoutSeconds)] where value < Settings.minimumTimeoutSeconds {
            throw AuthError(.config, "settings: \"\(name)\" must be at least 0.001 (1 ms), got \(value)")
        }
        if let command, command.isEmpty || command[0].isEmpty {
            throw AuthError(.config, "settings: \"command\": Command cannot be empty for command authenticator")
        }
        if let proxyCommand, proxyCommand.isEmpty || proxyCommand[0].isEmpty {
            throw AuthError(.config, "settings: \"proxy_command\" cannot be empty")
        }
        if let h = authorizationHeader, !HTTPHeaderName.isValid(h) {
            throw AuthError(.config, "settings: \"authorization_header\" is not a valid header name")
        }
        try validateClientAuthentication()
        if authType == .tokenExchange && subjectToken == nil {
            throw AuthError(.config, "settings: auth type TokenExchange needs \"subject_token\" (\(CredentialSource.spellings))")
        }
        for layout in mirrorLayouts where !["flytekit", "flyte-sdk", "flytectl"].contains(layout) {
            throw AuthError(.config, "settings: \"mirror_layouts\": unknown layout \"\(layout)\" (known: flytekit, flyte-sdk, flytectl)")
        }
    }

    // MARK: - The key table

    struct Field: Sendable {
        let key: String
        let apply: @Sendable (inout Settings, JSONValue, String) throws(AuthError) -> Void
    }

    static let fields: [Field] = [
        string("endpoint") { $0.endpoint = $1 },
        bool("insecure") { $0.insecure = $1 },
        bool("insecure_skip_verify") { $0.insecureSkipVerify = $1 },
        string("ca_cert_file_path") { $0.caCertFilePath = $1 },
        string("http_proxy_url") { $0.httpProxyURL = $1 },
        Field(key: "auth_type") { s, v, ctx throws(AuthError) in
            guard let text = v.stringValue else { throw AuthError(.config, "\(ctx): expected a string") }
            guard let type = AuthType(spelling: text) else {
                throw AuthError(.config, "\(ctx): unknown auth type \"\(text)\" (known: Pkce, DeviceFlow, ClientSecret, ExternalCommand, Passthrough, ApiKey, TokenExchange and their flytekit spellings)")
            }
            s.authType = type
        },
        string("client_id") { $0.clientID = $1 },
        string("client_secret") { $0.clientSecret = $1 },
        string("client_secret_location") { $0.clientSecretLocation = $1 },
        string("client_secret_env_var") { $0.clientSecretEnvVar = $1 },
        string("api_key") { $0.apiKey = $1 },
        strings("scopes") { $0.scopes = $1 },
        string("audience") { $0.audience = $1 },
        bool("use_audience_from_admin") { $0.useAudienceFromAdmin = $1 },
        strings("command") { $0.command = $1 },
        strings("proxy_command") { $0.proxyCommand = $1 },
        string("authorization_header") { $0.authorizationHeader = $1 },
        string("token_url") { $0.tokenURL = $1 },
        string("authorization_endpoint") { $0.authorizationEndpoint = $1 },
        string("device_authorization_endpoint") { $0.deviceAuthorizationEndpoint = $1 },
        string("redirect_uri") { $0.redirectURI = $1 },
        seconds("refresh_window_seconds") { $0.refreshWindowSeconds = $1 },
        seconds("http_timeout_seconds") { $0.httpTimeoutSeconds = $1 },
        seconds("connect_timeout_seconds") { $0.connectTimeoutSeconds = $1 },
        seconds("command_timeout_seconds") { $0.commandTimeoutSeconds = $1 },
        seconds("login_timeout_seconds") { $0.loginTimeoutSeconds = $1 },
        seconds("device_flow_timeout_seconds") { $0.deviceFlowTimeoutSeconds = $1 },
        seconds("lock_timeout_seconds") { $0.lockTimeoutSeconds = $1 },
        seconds("keyring_timeout_seconds") { $0.keyringTimeoutSeconds = $1 },
        seconds("discovery_cache_ttl_seconds") { $0.discoveryCacheTTLSeconds = $1 },
        string("cache_dir") { $0.cacheDir = $1 },
        bool("interactive") { $0.interactive = $1 },
        bool("keyring") { $0.keyring = $1 },
        bool("file_cache") { $0.fileCache = $1 },
        string("file_cache_path") { $0.fileCachePath = $1 },
        strings("mirror_layouts") { $0.mirrorLayouts = $1 },
        Field(key: "kernel_keyring") { s, v, ctx throws(AuthError) in
            guard let text = v.stringValue else { throw AuthError(.config, "\(ctx): expected a string") }
            guard let mode = KernelKeyringMode(rawValue: text.lowercased()) else {
                throw AuthError(.config, "\(ctx): unknown kernel keyring \"\(text)\" (known: \(KernelKeyringMode.spellings))")
            }
            s.kernelKeyring = mode
        },
        Field(key: "client_auth_method") { s, v, ctx throws(AuthError) in
            guard let text = v.stringValue else { throw AuthError(.config, "\(ctx): expected a string") }
            guard let method = ClientAuthMethod(rawValue: text.lowercased()) else {
                throw AuthError(.config, "\(ctx): unknown method \"\(text)\" (known: \(ClientAuthMethod.spellings))")
            }
            s.clientAuthMethod = method
        },
        string("private_key_file") { $0.privateKeyFile = $1 },
        string("private_key_id") { $0.privateKeyID = $1 },
        string("certificate_file") { $0.certificateFile = $1 },
        string("client_assertion_audience") { $0.clientAssertionAudience = $1 },
        Field(key: "client_assertion") { s, v, ctx throws(AuthError) in
            s.clientAssertion = try CredentialSource.parse(v, context: ctx)
        },
        Field(key: "subject_token") { s, v, ctx throws(AuthError) in
            s.subjectToken = try CredentialSource.parse(v, context: ctx)
        },
        string("subject_token_type") { $0.subjectTokenType = $1 },
        Field(key: "actor_token") { s, v, ctx throws(AuthError) in
            s.actorToken = try CredentialSource.parse(v, context: ctx)
        },
        string("actor_token_type") { $0.actorTokenType = $1 },
        string("requested_token_type") { $0.requestedTokenType = $1 },
        string("resource") { $0.resource = $1 },
    ]

    static let fieldsByKey: [String: Field] = Dictionary(uniqueKeysWithValues: fields.map { ($0.key, $0) })

    private static func string(_ key: String, _ set: @escaping @Sendable (inout Settings, String) -> Void) -> Field {
        Field(key: key) { s, v, ctx throws(AuthError) in
            guard let text = v.stringValue else { throw AuthError(.config, "\(ctx): expected a string") }
            guard !text.utf8.contains(0) else { throw AuthError(.config, "\(ctx): contains a NUL character") }
            set(&s, text)
        }
    }

    private static func bool(_ key: String, _ set: @escaping @Sendable (inout Settings, Bool) -> Void) -> Field {
        Field(key: key) { s, v, ctx throws(AuthError) in
            guard let flag = v.boolValue else { throw AuthError(.config, "\(ctx): expected true or false") }
            set(&s, flag)
        }
    }

    private static func seconds(_ key: String, _ set: @escaping @Sendable (inout Settings, Double) -> Void) -> Field {
        Field(key: key) { s, v, ctx throws(AuthError) in
            guard let n = v.numberValue else { throw AuthError(.config, "\(ctx): expected a number of seconds") }
            set(&s, n)
        }
    }

    private static func strings(_ key: String, _ set: @escaping @Sendable (inout Settings, [String]) -> Void) -> Field {
        Field(key: key) { s, v, ctx throws(AuthError) in
            guard let items = v.arrayValue else { throw AuthError(.config, "\(ctx): expected an array of strings") }
            var out: [String] = []
            for item in items {
                guard let text = item.stringValue, !text.utf8.contains(0) else {
                    throw AuthError(.config, "\(ctx): expected an array of strings")
                }
                out.append(text)
            }
            set(&s, out)
        }
    }

    /// " (did you mean \"client_id\"?)" for near misses such as camelCase spellings.
    static func suggestion(for key: String) -> String {
        let folded = key.lowercased().filter { $0.isLetter }
        for known in keys where known.filter({ $0.isLetter }) == folded {
            return " (did you mean \"\(known)\"?)"
        }
        return ""
    }

    /// The client authentication settings that contradict each other.
    func validateClientAuthentication() throws(AuthError) {
        // No method: a key alone or an assertion source means private_key_jwt; a key and a
        // certificate, a TLS client certificate (an mTLS ingress) beside the usual method.
        guard let method = clientAuthMethod else { return }
        switch method {
        case .privateKeyJWT:
            if privateKeyFile.nonEmpty == nil && clientAssertion == nil {
                throw AuthError(.config, "settings: \"client_auth_method\": private_key_jwt needs \"private_key_file\" (a PEM key) or \"client_assertion\" (an external token)")
            }
            if privateKeyFile.nonEmpty != nil && clientAssertion != nil {
                throw AuthError(.config, "settings: \"private_key_file\" and \"client_assertion\" both set: the assertion is either signed here or external, not both")
            }
        case .tlsClientAuth, .selfSignedTLSClientAuth:
            if privateKeyFile.nonEmpty == nil || certificateFile.nonEmpty == nil {
                throw AuthError(.config, "settings: \"client_auth_method\": \(method.rawValue) needs \"certificate_file\" and \"private_key_file\"")
            }
        case .clientSecretBasic, .clientSecretPost, .clientSecretJWT, .none:
            if clientAssertion != nil {
                throw AuthError(.config, "settings: \"client_assertion\" needs \"client_auth_method\": private_key_jwt (or no method)")
            }
        }
    }
}
