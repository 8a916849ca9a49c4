/// The token endpoint requests of every flow, with only the fields the RFCs define.
public enum TokenRequests {
    /// RFC 6749 4.4, client authentication with HTTP Basic (2.3.1).
    public static func clientCredentials(
        endpoint: String, clientID: String, clientSecret: String,
        scopes: [String], audience: String?
    ) -> HTTPRequest {
        var fields = [("grant_type", "client_credentials")]
        if !scopes.isEmpty { fields.append(("scope", scopes.joined(separator: " "))) }
        if let audience { fields.append(("audience", audience)) }
        return .form(
            url: endpoint, fields: fields,
            headers: [("Authorization", FormEncoding.basicAuthorization(clientID: clientID, clientSecret: clientSecret))])
    }

    /// RFC 6749 6, for a public client.
    public static func refresh(
        endpoint: String, clientID: String, refreshToken: String,
        scopes: [String], audience: String?
    ) -> HTTPRequest {
        var fields = [("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", clientID)]
        if !scopes.isEmpty { fields.append(("scope", scopes.joined(separator: " "))) }
        if let audience { fields.append(("audience", audience)) }
        return .form(url: endpoint, fields: fields)
    }

    /// RFC 6749 4.1.3 with the PKCE verifier (RFC 7636 4.5).
    public static func authorizationCode(
        endpoint: String, code: String, redirectURI: String,
        clientID: String, codeVerifier: String
    ) -> HTTPRequest {
        .form(
            url: endpoint,
            fields: [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                ("client_id", clientID), ("code_verifier", codeVerifier),
            ])
    }

    /// RFC 8628 3.1.
    public static func deviceAuthorization(endpoint: String, clientID: String, scopes: [String], audience: String?) -> HTTPRequest {
        var fields = [("client_id", clientID)]
        if !scopes.isEmpty { fields.append(("scope", scopes.joined(separator: " "))) }
        if let audience { fields.append(("audience", audience)) }
        return .form(url: endpoint, fields: fields)
    }

    /// RFC 8628 3.4.
    public static func deviceToken(endpoint: String, deviceCode: String, clientID: String) -> HTTPRequest {
        .form(
            url: endpoint,
            fields: [
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", deviceCode), ("client_id", clientID),
            ])
    }
}
