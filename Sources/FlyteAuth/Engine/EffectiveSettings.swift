import FlyteAuthCore

extension AuthClient {
    /// The settings as the engine applies them, for bindings: they read these instead of
    /// re-deriving them from the settings or the configuration file (`"settings"` in
    /// `flyteauth_client_status`). No secrets, no I/O.
    var effectiveSettings: JSONValue {
        var o: [String: JSONValue] = [
            "auth_type": .string(settings.authType.rawValue),
            // Plain http to the endpoint: "insecure": true, or an http:// endpoint.
            "insecure": .bool(endpoint.map { $0.baseURL.hasPrefix("http://") } ?? settings.insecure),
            "insecure_skip_verify": .bool(settings.insecureSkipVerify),
            "interactive": .bool(settings.interactive),
            "refresh_window_seconds": .number(settings.refreshWindowSeconds),
            "proxy_authorization": .bool(settings.proxyCommand != nil),
            // Whether tokens go to the shared cache (passthrough and command tokens do not).
            "cached": .bool(flow.cached),
        ]
        if let endpoint {
            o["endpoint"] = .string(endpoint.configured)
            o["base_url"] = .string(endpoint.baseURL)
            o["host"] = .string(endpoint.hostAndPort)
        }
        o["client_id"] = cacheClientID.map(JSONValue.string)
        // The configured key; the server's one shows in the metadata's first header.
        o["header_key"] = settings.authorizationHeader.nonEmpty.map { .string($0.lowercased()) }
        o["ca_cert_file_path"] = settings.caCertFilePath.nonEmpty.map(JSONValue.string)
        return .object(o)
    }
}
