/// The two anonymous documents a Flyte endpoint publishes (flyte-auth.md section 1).
/// Both spellings (snake_case, lowerCamelCase) are accepted; empty strings mean unset.
public struct OAuth2Metadata: Sendable, Equatable {
    public var issuer: String?
    public var authorizationEndpoint: String?
    public var tokenEndpoint: String?
    public var deviceAuthorizationEndpoint: String?
    public var userinfoEndpoint: String?
    public var jwksURI: String?
    public var scopesSupported: [String]?
    public var grantTypesSupported: [String]?
    /// RFC 9207: the authorization response carries `iss`.
    public var issParameterSupported = false

    public init() {}

    public static func decode(_ value: JSONValue) throws(AuthError) -> OAuth2Metadata {
        guard let o = value.objectValue else { throw AuthError(.protocol, "OAuth2 metadata is not a JSON object") }
        var m = OAuth2Metadata()
        m.issuer = field(o, "issuer")
        m.authorizationEndpoint = field(o, "authorization_endpoint")
        m.tokenEndpoint = field(o, "token_endpoint")
        m.deviceAuthorizationEndpoint = field(o, "device_authorization_endpoint")
        m.userinfoEndpoint = field(o, "userinfo_endpoint")
        m.jwksURI = field(o, "jwks_uri")
        m.scopesSupported = list(o, "scopes_supported")
        m.grantTypesSupported = list(o, "grant_types_supported")
        m.issParameterSupported = (o["authorization_response_iss_parameter_supported"] ?? o["authorizationResponseIssParameterSupported"])?.boolValue ?? false
        return m
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [:]
        o["issuer"] = issuer.map(JSONValue.string)
        o["authorization_endpoint"] = authorizationEndpoint.map(JSONValue.string)
        o["token_endpoint"] = tokenEndpoint.map(JSONValue.string)
        o["device_authorization_endpoint"] = deviceAuthorizationEndpoint.map(JSONValue.string)
        o["userinfo_endpoint"] = userinfoEndpoint.map(JSONValue.string)
        o["jwks_uri"] = jwksURI.map(JSONValue.string)
        o["scopes_supported"] = scopesSupported.map { .array($0.map(JSONValue.string)) }
        o["grant_types_supported"] = grantTypesSupported.map { .array($0.map(JSONValue.string)) }
        if issParameterSupported { o["authorization_response_iss_parameter_supported"] = .bool(true) }
        return .object(o)
    }
}

public struct PublicClientConfig: Sendable, Equatable {
    public var clientID: String?
    public var redirectURI: String?
    public var scopes: [String]?
    public var authorizationMetadataKey: String?
    public var serviceHTTPEndpoint: String?
    public var audience: String?

    public init() {}

    public static func decode(_ value: JSONValue) throws(AuthError) -> PublicClientConfig {
        guard let o = value.objectValue else { throw AuthError(.protocol, "public client config is not a JSON object") }
        var c = PublicClientConfig()
        c.clientID = field(o, "client_id")
        c.redirectURI = field(o, "redirect_uri")
        c.scopes = list(o, "scopes")
        c.authorizationMetadataKey = field(o, "authorization_metadata_key")
        c.serviceHTTPEndpoint = field(o, "service_http_endpoint")
        c.audience = field(o, "audience")
        return c
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [:]
        o["client_id"] = clientID.map(JSONValue.string)
        o["redirect_uri"] = redirectURI.map(JSONValue.string)
        o["scopes"] = scopes.map { .array($0.map(JSONValue.string)) }
        o["authorization_metadata_key"] = authorizationMetadataKey.map(JSONValue.string)
        o["service_http_endpoint"] = serviceHTTPEndpoint.map(JSONValue.string)
        o["audience"] = audience.map(JSONValue.string)
        return .object(o)
    }
}

/// `client_id` or `clientId`; an empty string or a non-string is unset.
private func field(_ o: [String: JSONValue], _ snake: String) -> String? {
    let value = o[snake] ?? o[camelCase(snake)]
    guard let s = value?.stringValue?.trimmingSpaces(), !s.isEmpty else { return nil }
    return s
}

private func list(_ o: [String: JSONValue], _ snake: String) -> [String]? {
    guard let items = (o[snake] ?? o[camelCase(snake)])?.arrayValue else { return nil }
    let strings = items.compactMap { $0.stringValue }.filter { !$0.isEmpty }
    return strings.isEmpty ? nil : strings
}

/// `authorization_metadata_key` -> `authorizationMetadataKey`; `jwks_uri` -> `jwksUri`.
func camelCase(_ snake: String) -> String {
    var out = ""
    var upper = false
    for ch in snake {
        if ch == "_" { upper = true; continue }
        out += upper ? ch.uppercased() : String(ch)
        upper = false
    }
    return out
}
