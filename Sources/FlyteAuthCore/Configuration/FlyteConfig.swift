/// One setting's value and where it came from ("~/.flyte/config.yaml:4", "env FLYTE_PLATFORM_URL").
public struct ConfigValue: Sendable, Equatable {
    public var value: JSONValue
    public var source: String
    public init(_ value: JSONValue, source: String) {
        self.value = value
        self.source = source
    }
}

/// Settings keys (as `Settings` names them) to values, from one source.
public typealias ConfigLayer = [String: ConfigValue]

/// Reads the configuration Flyte users already have, as flytekit does (flyte-auth.md
/// section 6): YAML `admin.*` keys or INI `[platform]` / `[credentials]`, then the
/// `FLYTE_*` environment variables over the file.
public enum FlyteConfig {
    // MARK: - Key tables

    enum Kind { case string, bool, list, duration, negatedBool, endpoint, fileSource }

    /// YAML path under the root -> (settings key, kind).
    static let yamlKeys: [(String, String, Kind)] = [
        ("admin.endpoint", "endpoint", .endpoint),
        ("admin.insecure", "insecure", .bool),
        ("admin.insecureSkipVerify", "insecure_skip_verify", .bool),
        ("admin.caCertFilePath", "ca_cert_file_path", .string),
        ("admin.httpProxyURL", "http_proxy_url", .string),
        ("admin.authType", "auth_type", .string),
        ("admin.clientId", "client_id", .string),
        ("admin.clientSecretLocation", "client_secret_location", .string),
        ("admin.clientSecretEnvVar", "client_secret_env_var", .string),
        ("admin.scopes", "scopes", .list),
        ("admin.audience", "audience", .string),
        ("admin.command", "command", .list),
        ("admin.proxyCommand", "proxy_command", .list),
        // The Go client's keys.
        ("admin.authorizationHeader", "authorization_header", .string),
        ("admin.tokenUrl", "token_url", .string),
        ("admin.useAudienceFromAdmin", "use_audience_from_admin", .bool),
        ("admin.pkceConfig.timeout", "login_timeout_seconds", .duration),
        ("admin.deviceFlowConfig.timeout", "device_flow_timeout_seconds", .duration),
        // flyte-sdk's.
        ("admin.disableKeyring", "keyring", .negatedBool),
        // libflyteauth's own: persistent, user, session or off.
        ("admin.kernelKeyring", "kernel_keyring", .string),
    ]

    /// INI section.option -> (settings key, kind).
    static let iniKeys: [(String, String, Kind)] = [
        ("platform.url", "endpoint", .endpoint),
        ("platform.insecure", "insecure", .bool),
        ("platform.insecure_skip_verify", "insecure_skip_verify", .bool),
        ("platform.ca_cert_file_path", "ca_cert_file_path", .string),
        ("platform.http_proxy_url", "http_proxy_url", .string),
        ("credentials.auth_mode", "auth_type", .string),
        ("credentials.client_id", "client_id", .string),
        ("credentials.client_secret", "client_secret", .string),
        ("credentials.client_secret_location", "client_secret_location", .string),
        ("credentials.client_secret_env_var", "client_secret_env_var", .string),
        ("credentials.scopes", "scopes", .list),
        ("credentials.audience", "audience", .string),
        ("credentials.command", "command", .list),
        ("credentials.proxy_command", "proxy_command", .list),
    ]

    /// flytekit reads `FLYTE_<SECTION>_<OPTION>` for each INI entry; flyte-sdk adds two.
    /// (Built once, with a plain character map: the generic `replacing` costs every process
    /// about half a million instructions at start-up.)
    static let environmentKeys: [(String, String, Kind)] =
        iniKeys.map { ("FLYTE_" + String($0.0.uppercased().map { $0 == "." ? "_" : $0 }), $0.1, $0.2) } + [
            ("FLYTE_ADMIN_DISABLEKEYRING", "keyring", .negatedBool),
            ("FLYTE_API_KEY", "api_key", .string),
            ("FLYTEAUTH_FILE_CACHE", "file_cache", .bool),
            ("FLYTEAUTH_KERNEL_KEYRING", "kernel_keyring", .string),
            // Machine identity (no Flyte tool has these): a pod spec or CI job sets them.
            ("FLYTEAUTH_CLIENT_AUTH_METHOD", "client_auth_method", .string),
            ("FLYTEAUTH_PRIVATE_KEY_FILE", "private_key_file", .string),
            ("FLYTEAUTH_PRIVATE_KEY_ID", "private_key_id", .string),
            ("FLYTEAUTH_CERTIFICATE_FILE", "certificate_file", .string),
            ("FLYTEAUTH_CLIENT_ASSERTION_FILE", "client_assertion", .fileSource),
            ("FLYTEAUTH_SUBJECT_TOKEN_FILE", "subject_token", .fileSource),
        ]

    /// Every environment variable the configuration reads.
    public static var environmentVariables: [String] { environmentKeys.map(\.0) }

    // MARK: - Environment

    public static func environmentLayer(_ env: [String: String]) throws(AuthError) -> ConfigLayer {
        var layer: ConfigLayer = [:]
        for (name, key, kind) in environmentKeys {
            guard let raw = env[name] else { continue }
            if kind != .bool && kind != .negatedBool && raw.isEmpty { continue }
            let source = "env \(name)"
            layer[key] = ConfigValue(try convert(.string(raw), kind: kind, source: source, commaLists: true), source: source)
        }
        return layer
    }


    // MARK: - Conversion

    static func convert(_ node: Node, kind: Kind, source: String) throws(AuthError) -> JSONValue {
        switch (kind, node) {
        case (.list, .sequence(let items, _)):
            var out: [JSONValue] = []
            for item in items {
                guard case .scalar(let s, _) = item else { throw AuthError(.config, "\(source): expected a list of strings") }
                out.append(.string(s))
            }
            return .array(out)
        case (_, .scalar(let s, _)):
            return try convert(.string(s), kind: kind, source: source, commaLists: false)
        case (.list, _):
            throw AuthError(.config, "\(source): expected a list of strings")
        default:
            throw AuthError(.config, "\(source): expected a single value, found a \(node.isSequence ? "list" : "mapping")")
        }
    }

    static func convert(_ value: JSONValue, kind: Kind, source: String, commaLists: Bool) throws(AuthError) -> JSONValue {
        guard let s = value.stringValue else { return value }
        switch kind {
        case .string:
            return .string(s)
        case .fileSource:
            return .object(["file": .string(s)])
        case .endpoint:
            // Kept as written: flytectl's keyring username includes any dns:/// prefix;
            // FlyteEndpoint strips it wherever a host is needed.
            return .string(s)
        case .bool:
            return .bool(EnvironmentValue.isTrue(s))
        case .negatedBool:
            return .bool(!EnvironmentValue.isTrue(s))
        case .list:
            if commaLists { return .array(EnvironmentValue.list(s).map(JSONValue.string)) }
            return .array(s.isEmpty ? [] : [.string(s)])
        case .duration:
            guard let seconds = GoDuration.seconds(s) else {
                throw AuthError(.config, "\(source): \"\(s)\" is not a duration (e.g. 2m, 90s, 1h30m)")
            }
            return .number(seconds)
        }
    }
}

extension FlyteConfig.Node {
    var isSequence: Bool { if case .sequence = self { return true }; return false }
}

