/// The layers merged in flytekit's order, with where each value came from.
public struct ResolvedSettings: Sendable {
    public var settings: Settings
    public var sources: [String: ConfigValue]
    public var configFile: String?

    /// file < environment < overrides; flytekit's rule that a client secret from a file
    /// or environment variable forces ClientSecret is applied after the file and
    /// environment, before the overrides. `secretAvailable` tells whether such a secret
    /// resolves to something non-empty.
    public static func merge(file: ConfigLayer, environment: ConfigLayer, overrides: ConfigLayer, configFile: String?,
                             secretAvailable: (Settings) -> Bool) throws(AuthError) -> ResolvedSettings {
        var merged = file
        for (k, v) in environment { merged[k] = v }
        var settings = Settings()
        for key in merged.keys.sorted() {
            let v = merged[key]!
            try settings.apply([key: v.value], source: v.source)
        }
        // (A token exchange authenticates its client with that secret: it stays an exchange.)
        if settings.clientSecretLocation.nonEmpty != nil || settings.clientSecretEnvVar.nonEmpty != nil,
           settings.authType != .tokenExchange, secretAvailable(settings) {
            settings.authType = .clientSecret
            merged["auth_type"] = ConfigValue(.string(AuthType.clientSecret.rawValue),
                                              source: "a client secret file or variable is set (as in flytekit)")
        }
        // FLYTE_API_KEY only applies when the configuration chose no other auth type.
        if merged["api_key"] != nil, let t = merged["auth_type"], AuthType(spelling: t.value.stringValue ?? "") != .apiKey {
            merged["api_key"] = nil
            settings.apiKey = nil
        }
        for key in overrides.keys.sorted() {
            let v = overrides[key]!
            try settings.apply([key: v.value], source: v.source)
            merged[key] = v
        }
        try settings.validate()
        return ResolvedSettings(settings: settings, sources: merged, configFile: configFile)
    }

    /// For display: each key's value (secrets masked) and its source.
    public var description: JSONValue {
        var values: [String: JSONValue] = [:]
        for (key, v) in sources {
            var masked = ["client_secret", "api_key"].contains(key) ? JSONValue.string("********") : v.value
            if key == "http_proxy_url", let url = v.value.stringValue {
                masked = .string(ResolvedSettings.withoutCredentials(url))
            }
            values[key] = .object(["value": masked, "source": .string(v.source)])
        }
        var o: [String: JSONValue] = ["settings": .object(values), "auth_type": .string(settings.authType.rawValue)]
        o["config_file"] = configFile.map(JSONValue.string) ?? .null
        return .object(o)
    }

    /// A URL with its user-info (a proxy's `user:password@`) replaced, for display.
    public static func withoutCredentials(_ url: String) -> String {
        let start = url.firstRange(of: "://")?.upperBound ?? url.startIndex
        let authorityEnd = url[start...].firstIndex(of: "/") ?? url.endIndex
        guard let at = url[start..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<start]) + "<credentials>" + url[at...]
    }
}
