/// The token endpoint requests of every flow, with only the fields the RFCs define. The
/// client authenticates as `auth` says (`.none`: a public client, `client_id` in the body).
public enum TokenRequests {
    /// RFC 6749 4.4.
    public static func clientCredentials(endpoint: String, clientID: String, auth: ClientAuthentication,
                                         scopes: [String], audience: String?) -> HTTPRequest {
        var fields = [("grant_type", "client_credentials")]
        if !scopes.isEmpty { fields.append(("scope", scopes.joined(separator: " "))) }
        if let audience { fields.append(("audience", audience)) }
        return authenticated(endpoint, fields, clientID: clientID, auth: auth)
    }

    /// RFC 6749 4.4, client authentication with HTTP Basic (2.3.1).
    public static func clientCredentials(endpoint: String, clientID: String, clientSecret: String,
                                         scopes: [String], audience: String?) -> HTTPRequest {
        clientCredentials(endpoint: endpoint, clientID: clientID, auth: .basic(secret: clientSecret), scopes: scopes, audience: audience)
    }

    /// RFC 6749 6.
    public static func refresh(endpoint: String, clientID: String, refreshToken: String,
                               scopes: [String], audience: String?, auth: ClientAuthentication = .none) -> HTTPRequest {
        var fields = [("grant_type", "refresh_token"), ("refresh_token", refreshToken)]
        if !scopes.isEmpty { fields.append(("scope", scopes.joined(separator: " "))) }
        if let audience { fields.append(("audience", audience)) }
        return authenticated(endpoint, fields, clientID: clientID, auth: auth)
    }

    /// RFC 6749 4.1.3 with the PKCE verifier (RFC 7636 4.5).
    public static func authorizationCode(endpoint: String, code: String, redirectURI: String,
                                         clientID: String, codeVerifier: String, auth: ClientAuthentication = .none) -> HTTPRequest {
        authenticated(endpoint, [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                                 ("code_verifier", codeVerifier)], clientID: clientID, auth: auth)
    }

    /// RFC 8628 3.1.
    public static func deviceAuthorization(endpoint: String, clientID: String, scopes: [String], audience: String?) -> HTTPRequest {
        var fields = [("client_id", clientID)]
        if !scopes.isEmpty { fields.append(("scope", scopes.joined(separator: " "))) }
        if let audience { fields.append(("audience", audience)) }
        return .form(url: endpoint, fields: fields)
    }

    /// RFC 8628 3.4.
    public static func deviceToken(endpoint: String, deviceCode: String, clientID: String,
                                   auth: ClientAuthentication = .none) -> HTTPRequest {
        authenticated(endpoint, [("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("device_code", deviceCode)],
                      clientID: clientID, auth: auth)
    }

    /// RFC 8693 2.1. A public client (`auth` .none) sends its `client_id`, if it has one.
    public static func tokenExchange(endpoint: String, clientID: String?, auth: ClientAuthentication,
                                     exchange: TokenExchangeRequest) -> HTTPRequest {
        var fields = [("grant_type", TokenExchangeRequest.grantType), ("subject_token", exchange.subjectToken),
                      ("subject_token_type", exchange.subjectTokenType)]
        if let actor = exchange.actorToken {
            fields.append(("actor_token", actor))
            fields.append(("actor_token_type", exchange.actorTokenType))
        }
        if let resource = exchange.resource { fields.append(("resource", resource)) }
        if let audience = exchange.audience { fields.append(("audience", audience)) }
        if !exchange.scopes.isEmpty { fields.append(("scope", exchange.scopes.joined(separator: " "))) }
        fields.append(("requested_token_type", exchange.requestedTokenType))
        guard let clientID else { return .form(url: endpoint, fields: fields) }
        return authenticated(endpoint, fields, clientID: clientID, auth: auth)
    }

    private static func authenticated(_ endpoint: String, _ fields: [(String, String)], clientID: String,
                                      auth: ClientAuthentication) -> HTTPRequest {
        var fields = fields
        var headers: [(String, String)] = []
        auth.apply(clientID: clientID, fields: &fields, headers: &headers)
        return .form(url: endpoint, fields: fields, headers: headers.map { (name: $0.0, value: $0.1) })
    }
}
