@testable import FlyteAuth
import FlyteAuthCore
import Testing

/// The engine's side of machine identity, with fakes: the cache bound to the credential
/// and request, token commands printing JSON, and how a client authenticates.
@Suite struct CredentialBindingEngineTests {
    @Test func aWrongSecretIsNotServedTheRightOnesToken() throws {
        let right = try Harness.clientCredentials()
        right.transport.script(Harness.tokenURL, Harness.token("right-token"))
        #expect(try right.client.headers().accessToken == "right-token")
        #expect(right.storage.credentials?.binding == right.client.binding)

        // Another process, the same cache, a wrong secret: the IdP is asked, and refuses.
        let wrong = try Harness(settings: { var s = right.client.settings; s.clientSecret = "wrong"; return s }(),
                                sharing: right)
        wrong.transport.script(Harness.tokenURL, .json(401, "{\"error\":\"invalid_client\"}"))
        #expect(failure { () throws(AuthError) in try wrong.client.headers() }?.oauthError == "invalid_client")
        #expect(wrong.tokenRequests == 1)
        // The right one's token stays in the cache for it.
        #expect(right.storage.credentials?.accessToken == "right-token")
    }

    @Test func otherScopesOrAudienceGetATokenOfTheirOwn() throws {
        let first = try Harness.clientCredentials()
        first.transport.script(Harness.tokenURL, Harness.token("all-token"))
        _ = try first.client.headers()
        for change in [{ (s: inout Settings) in s.scopes = ["all", "offline"] }, { (s: inout Settings) in s.audience = "other" }] {
            var settings = first.client.settings
            change(&settings)
            let other = try Harness(settings: settings, sharing: first)
            other.transport.script(Harness.tokenURL, Harness.token("other-token"))
            #expect(try other.client.headers().accessToken == "other-token")
            #expect(other.tokenRequests == 1)
        }
    }

    @Test func theTagNeverHoldsTheSecret() throws {
        let h = try Harness.clientCredentials { $0.clientSecret = "s3cret-value" }
        let tag = try #require(h.client.binding)
        #expect(tag.hasPrefix("v1:") && !tag.contains("s3cret"))
        let same = try Harness.clientCredentials { $0.clientSecret = "s3cret-value" }
        #expect(same.client.binding == tag)
    }
}

@Suite struct JSONCommandEngineTests {
    @Test func aDocumentsExpiryIsCachedAndTheCommandRunsAgainOnlyNearIt() throws {
        let h = try CommandFlowTests.harness()
        h.runner.script("{\"access_token\":\"cmd-1\",\"token_type\":\"Bearer\",\"expires_in\":600}",
                        "{\"access_token\":\"cmd-2\",\"token_type\":\"Bearer\",\"expires_in\":600}")
        #expect(try h.client.headers().accessToken == "cmd-1")
        #expect(h.storage.saves == 1 && h.storage.credentials?.expiresAt == h.clock.now() + 600)
        h.clock.advance(by: 500)
        #expect(try h.client.headers().accessToken == "cmd-1")
        #expect(h.runner.runs.count == 1)
        h.clock.advance(by: 95)  // past the hard deadline (10 s before the end)
        #expect(try h.client.headers().accessToken == "cmd-2")
        #expect(h.runner.runs.count == 2)
    }

    @Test func anotherProcessIsServedFromTheCache() throws {
        let first = try CommandFlowTests.harness()
        first.runner.script("{\"Version\":1,\"Token\":\"cmd-1\",\"Expiration\":\"2999-01-01T00:00:00Z\"}")
        _ = try first.client.headers()
        let second = try Harness(settings: first.client.settings, sharing: first)
        #expect(try second.client.headers().accessToken == "cmd-1")
        #expect(second.runner.runs.isEmpty)
    }

    @Test func aBadDocumentIsAClearErrorWithoutTheToken() throws {
        let h = try CommandFlowTests.harness()
        h.runner.script("{\"access_token\":\"secret-token\",\"token_type\":\"mac\"}")
        let e = try #require(failure { () throws(AuthError) in try h.client.headers() })
        #expect(e.kind == .command && e.message.contains("token_type") && !e.message.contains("secret-token"))
    }
}

@Suite struct ClientAuthenticationEngineTests {
    @Test func clientSecretPostPutsTheSecretInTheBody() throws {
        let h = try Harness.clientCredentials { $0.clientAuthMethod = .clientSecretPost }
        h.transport.script(Harness.tokenURL, Harness.token("t"))
        _ = try h.client.headers()
        let request = try #require(h.transport.requests(to: Harness.tokenURL).first)
        let body = String(decoding: request.body, as: UTF8.self)
        #expect(body.contains("client_secret=app-secret") && body.contains("client_id=app"))
        #expect(!request.headers.contains { $0.name == "Authorization" })
    }

    @Test func clientSecretJWTSignsAnAssertionForTheTokenEndpoint() throws {
        let h = try Harness.clientCredentials { $0.clientAuthMethod = .clientSecretJWT }
        h.transport.script(Harness.tokenURL, Harness.token("t"))
        _ = try h.client.headers()
        let request = try #require(h.transport.requests(to: Harness.tokenURL).first)
        let fields = Dictionary(uniqueKeysWithValues: FormEncoding.decode(Substring(String(decoding: request.body, as: UTF8.self)))!)
        #expect(fields["client_assertion_type"] == ClientAuthentication.assertionType)
        let jwt = try #require(fields["client_assertion"])
        let claims = try #require(JWT.claims(of: jwt))
        #expect(claims["iss"]?.stringValue == "app" && claims["sub"]?.stringValue == "app")
        #expect(claims["aud"]?.stringValue == Harness.tokenURL)
        let parts = jwt.split(separator: ".")
        #expect(Base64.decodeURL(String(parts[2])) == SHA256.hmac(key: Array("app-secret".utf8), message: Array((parts[0] + "." + parts[1]).utf8)))
        #expect(!String(decoding: request.body, as: UTF8.self).contains("app-secret"))
    }

    @Test func aConfidentialPKCEClientAuthenticatesItsRefresh() throws {
        var s = Settings()
        s.endpoint = Harness.endpoint
        s.authType = .pkce
        s.interactive = false
        s.clientID = "web"
        s.clientSecret = "web-secret"
        s.tokenURL = Harness.tokenURL
        s.authorizationEndpoint = "https://idp.test/auth"
        s.authorizationHeader = "authorization"
        s.scopes = ["all"]
        s.discoveryCacheTTLSeconds = 0
        let h = try Harness(settings: s)
        h.transport.script(Harness.metadataURL, .json(200, "{\"issuer\":\"https://idp.test\",\"token_endpoint\":\"\(Harness.tokenURL)\"}"))
        h.transport.script(Harness.clientConfigURL, .json(200, "{\"client_id\":\"web\",\"redirect_uri\":\"http://localhost:53593/callback\"}"))
        h.storage.credentials = h.cached("old", refresh: "refresh-1", expiresIn: 1)
        h.clock.advance(by: 5)
        h.transport.script(Harness.tokenURL, Harness.token("new"))
        #expect(try h.client.headers().accessToken == "new")
        let request = try #require(h.transport.requests(to: Harness.tokenURL).first)
        #expect(request.headers.contains { $0.name == "Authorization" && $0.value.hasPrefix("Basic ") })
    }
}

extension Harness {
    /// A second client ("another process") over the same shared cache as `other`.
    init(settings: Settings, sharing other: Harness) throws {
        try self.init(settings: settings, storage: other.storage)
    }
}

@Suite struct ProxyCommandDocumentTests {
    /// A proxy command printing an ExecCredential: its expiry bounds the snapshot, and the
    /// command runs again once it nears it (not before).
    @Test func theDocumentsExpiryRenewsTheProxyToken() throws {
        let h = try Harness.clientCredentials { $0.proxyCommand = ["print-proxy-token"] }
        let soon = RFC3339.format(h.clock.now() + 300)
        let later = RFC3339.format(h.clock.now() + 3600)
        h.runner.script("{\"status\":{\"token\":\"proxy-1\",\"expirationTimestamp\":\"\(soon)\"}}",
                        "{\"status\":{\"token\":\"proxy-2\",\"expirationTimestamp\":\"\(later)\"}}")
        h.transport.script(Harness.tokenURL, Harness.token("t1", expiresIn: 7200), Harness.token("t2", expiresIn: 7200))
        #expect(try h.client.headers().headers[1].value == "Bearer proxy-1")
        h.clock.advance(by: 200)
        #expect(try h.client.headers().headers[1].value == "Bearer proxy-1")
        #expect(h.runner.runs.count == 1)
        h.clock.advance(by: 95)  // within 10 s of the proxy token's end
        #expect(try h.client.headers().headers[1].value == "Bearer proxy-2")
        #expect(h.runner.runs.count == 2)
    }
}
