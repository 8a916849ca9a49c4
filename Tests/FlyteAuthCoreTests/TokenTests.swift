import FlyteAuthCore
import Testing

func jwt(_ claims: String) -> String {
    "eyJhbGciOiJub25lIn0." + Base64.encodeURL(Array(claims.utf8)) + ".sig"
}

@Suite struct TokenResponseTests {
    func response(_ status: Int, _ body: String) -> HTTPResponse { HTTPResponse(status: status, body: Array(body.utf8)) }

    @Test func expiryFromExpiresInThenJWTThenUnknown() throws {
        let a = try TokenResponse.credentials(
            from: response(200, #"{"access_token":"opaque","expires_in":300,"refresh_token":"r"}"#),
            endpoint: "t", now: 1000)
        #expect(a.expiresAt == 1300 && a.refreshToken == "r" && a.tokenType == "Bearer")
        let b = try TokenResponse.credentials(from: response(200, "{\"access_token\":\"\(jwt(#"{"exp":4242}"#))\"}"), endpoint: "t", now: 1000)
        #expect(b.expiresAt == 4242)
        let c = try TokenResponse.credentials(from: response(200, #"{"access_token":"opaque"}"#), endpoint: "t", now: 1000)
        #expect(c.expiresAt == nil)
        let d = try TokenResponse.credentials(from: response(200, #"{"access_token":"x","expires_in":"60"}"#), endpoint: "t", now: 0)
        #expect(d.expiresAt == 60)
        // A JWT whose exp comes before now + expires_in: the server enforces exp.
        let e = try TokenResponse.credentials(
            from: response(200, "{\"access_token\":\"\(jwt(#"{"exp":1003}"#))\",\"expires_in\":5}"),
            endpoint: "t", now: 1000)
        #expect(e.expiresAt == 1003)
    }

    @Test func oauthErrorsCarryCodeAndDescription() {
        let e = TokenResponse.error(
            from: response(400, #"{"error":"invalid_scope","error_description":"no such scope"}"#), endpoint: "https://idp/token")
        #expect(e.kind == .oauth && e.oauthError == "invalid_scope" && e.oauthErrorDescription == "no such scope" && e.httpStatus == 400)
        #expect(e.message.contains("https://idp/token") && e.message.contains("scopes"))
    }

    @Test func outagesAreTransientRefusalsAreNot() {
        #expect(TokenResponse.error(from: response(503, #"{"error":"temporarily_unavailable"}"#), endpoint: "t").isTransient)
        #expect(TokenResponse.error(from: response(429, ""), endpoint: "t").isTransient)
        #expect(TokenResponse.error(from: response(400, #"{"error":"server_error"}"#), endpoint: "t").isTransient)
        #expect(!TokenResponse.error(from: response(400, #"{"error":"invalid_grant"}"#), endpoint: "t").isTransient)
        #expect(!TokenResponse.error(from: response(400, ""), endpoint: "t").isTransient)  // glewlwyd's refused refresh token
    }

    @Test func garbageAndEmptyBodiesAreProtocolErrors() {
        let empty = TokenResponse.error(from: response(403, ""), endpoint: "t")
        #expect(empty.kind == .protocol && empty.message.contains("empty body") && empty.message.contains("client secret"))
        let html = TokenResponse.error(from: response(502, "<html>\n<b>Bad   Gateway</b></html>"), endpoint: "t")
        #expect(html.kind == .protocol && html.isTransient && html.message.contains("<html> <b>Bad Gateway</b></html>"))
        #expect(throws: AuthError.self) { try TokenResponse.credentials(from: response(200, "not json"), endpoint: "t", now: 0) }
        #expect(throws: AuthError.self) { try TokenResponse.credentials(from: response(200, #"{"token":"x"}"#), endpoint: "t", now: 0) }
        #expect(throws: AuthError.self) { try TokenResponse.credentials(from: response(200, "{\"access_token\":\"a\\nb\"}"), endpoint: "t", now: 0) }
        #expect(throws: AuthError.self) {
            try TokenResponse.credentials(from: HTTPResponse(status: 200, body: [0x7b, 0xff, 0x7d]), endpoint: "t", now: 0)
        }
    }

    @Test func refreshKeepsTheOldRefreshTokenWhenNoneIsSent() {
        let old = Credentials(accessToken: "a1", refreshToken: "r1", idToken: "i1", obtainedAt: 0)
        #expect(Credentials(accessToken: "a2", obtainedAt: 1).keepingRefreshToken(of: old).refreshToken == "r1")
        #expect(Credentials(accessToken: "a2", refreshToken: "r2", obtainedAt: 1).keepingRefreshToken(of: old).refreshToken == "r2")
    }

    @Test func jwtClaimsAreReadWithoutVerification() {
        #expect(JWT.expiry(of: jwt(#"{"exp":123,"sub":"me"}"#)) == 123)
        #expect(JWT.claims(of: jwt(#"{"sub":"me"}"#))?["sub"]?.stringValue == "me")
        for notJWT in ["opaque", "a.b", "a.!!!.c", jwt("[1,2]"), jwt(#"{"exp":"soon"}"#)] {
            #expect(JWT.expiry(of: notJWT) == nil)
        }
    }
}

@Suite struct RefreshPolicyTests {
    @Test func windowShrinksForShortTokens() {
        let p = RefreshPolicy(window: 60)
        let long = Credentials(accessToken: "a", expiresAt: 3600, obtainedAt: 0)
        #expect(p.softDeadline(for: long) == 3540 && p.hardDeadline(for: long) == 3590)
        let short = Credentials(accessToken: "a", expiresAt: 4, obtainedAt: 0)
        #expect(p.softDeadline(for: short) == 2)
        #expect(abs(p.hardDeadline(for: short) - 3.6) < 1e-9)
        let unknown = Credentials(accessToken: "a", expiresAt: nil, obtainedAt: 0)
        #expect(p.softDeadline(for: unknown) == .infinity && p.hardDeadline(for: unknown) == .infinity)
    }
}

@Suite struct DiscoveryTests {
    @Test func acceptsBothSpellingsAndTreatsEmptyAsUnset() throws {
        let snake = try PublicClientConfig.decode(
            try JSONValue.parse(
                Array(
                    #"{"client_id":"flytectl","redirect_uri":"http://localhost:53593/callback","scopes":["all","offline"],"authorization_metadata_key":"flyte-authorization","service_http_endpoint":"","audience":""}"#
                        .utf8), what: "t"))
        let camel = try PublicClientConfig.decode(
            try JSONValue.parse(
                Array(
                    #"{"clientId":"flytectl","redirectUri":"http://localhost:53593/callback","scopes":["all","offline"],"authorizationMetadataKey":"flyte-authorization"}"#
                        .utf8), what: "t"))
        #expect(snake == camel)
        #expect(snake.audience == nil && snake.serviceHTTPEndpoint == nil)
        let m = try OAuth2Metadata.decode(
            try JSONValue.parse(Array(#"{"tokenEndpoint":"https://idp/t","device_authorization_endpoint":""}"#.utf8), what: "t"))
        #expect(m.tokenEndpoint == "https://idp/t" && m.deviceAuthorizationEndpoint == nil)
    }

    @Test func localSettingsWinOverTheServer() throws {
        var metadata = OAuth2Metadata()
        metadata.tokenEndpoint = "https://server/token"
        var config = PublicClientConfig()
        config.clientID = "flytectl"
        config.scopes = ["all", "offline"]
        config.authorizationMetadataKey = "Flyte-Authorization"
        config.audience = "server-aud"
        var s = Settings()
        let fromServer = AuthParameters(settings: s, metadata: metadata, clientConfig: config)
        #expect(fromServer.tokenEndpoint == "https://server/token" && fromServer.clientID == "flytectl")
        #expect(fromServer.headerKey == "flyte-authorization" && fromServer.scopes == ["all", "offline"])
        #expect(fromServer.audience == nil && fromServer.redirectURI == AuthParameters.defaultRedirectURI)
        s.tokenURL = "https://local/token"
        s.clientID = "mine"
        s.scopes = ["custom"]
        s.authorizationHeader = "authorization"
        s.useAudienceFromAdmin = true
        let local = AuthParameters(settings: s, metadata: metadata, clientConfig: config)
        #expect(local.tokenEndpoint == "https://local/token" && local.clientID == "mine")
        #expect(local.scopes == ["custom"] && local.headerKey == "authorization" && local.audience == "server-aud")
        // A service account never borrows the server's public client id.
        var service = Settings()
        service.authType = .clientSecret
        #expect(AuthParameters(settings: service, metadata: metadata, clientConfig: config).clientID == nil)
    }
}
