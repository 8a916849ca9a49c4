@testable import FlyteAuth
import FlyteAuthCore
import Testing

/// Explicit refreshes: `refresh(rejected:)` with and without a rejected token.
@Suite struct RefreshTests {
    /// nil forces a token request, even as the process's first call
    /// with a valid token in the shared cache.
    @Test func refreshWithoutTokenForcesARequestAsFirstCall() throws {
        let h = try Harness.clientCredentials()
        h.storage.credentials = h.cached("cached-by-another-process")
        h.transport.script(Harness.tokenURL, Harness.token("fresh"))
        let snapshot = try h.client.refresh(rejected: nil)
        #expect(h.tokenRequests == 1)
        #expect(snapshot.accessToken == "fresh")
        #expect(h.storage.credentials?.accessToken == "fresh")
    }

    @Test func refreshWithoutTokenForcesARequestWhenATokenIsHeld() throws {
        let h = try Harness.clientCredentials()
        h.transport.script(Harness.tokenURL, Harness.token("first"), Harness.token("second"))
        #expect(try h.client.headers().accessToken == "first")
        #expect(try h.client.refresh(rejected: nil).accessToken == "second")
        #expect(h.tokenRequests == 2)
    }

    /// A token the server rejected is never handed out again, not from memory and not
    /// from the shared cache, even when replacing it fails.
    @Test func rejectedTokenIsNeverServedAgain() throws {
        let h = try Harness.clientCredentials()
        h.transport.script(Harness.tokenURL, Harness.token("bad"),
                           .failure(AuthError(.network, "idp.test: connection refused")), Harness.token("good"))
        #expect(try h.client.headers().accessToken == "bad")
        // The cache still holds "bad" (as written by this process): the re-read must skip it.
        #expect(h.storage.credentials?.accessToken == "bad")
        let error = failure { () throws(AuthError) in try h.client.refresh(rejected: "Bearer bad") }
        #expect(error?.kind == .network)
        // The failure dropped "bad": the next call asks again instead of serving it.
        #expect(try h.client.headers().accessToken == "good")
        #expect(h.tokenRequests == 3)
    }

    /// Someone else already replaced the rejected token: no second request.
    @Test func rejectionOfAnOldTokenReturnsTheCurrentOne() throws {
        let h = try Harness.clientCredentials()
        h.transport.script(Harness.tokenURL, Harness.token("old"), Harness.token("new"))
        _ = try h.client.headers()
        #expect(try h.client.refresh(rejected: "old").accessToken == "new")
        #expect(try h.client.refresh(rejected: "old").accessToken == "new")
        #expect(h.tokenRequests == 2)
    }
}

/// A refresh token the IdP refused is forgotten everywhere.
@Suite struct InvalidGrantTests {
    @Test func refusedRefreshTokenIsForgottenAndNeverResent() throws {
        let h = try Harness.pkce()
        // An expired access token with a refresh token, as a login left it.
        h.storage.credentials = h.cached("expired", refresh: "rt-refused", expiresIn: -60)
        h.transport.script(Harness.tokenURL, .json(400, """
            {"error":"invalid_grant","error_description":"Token is expired or revoked"}
            """))
        for _ in 0..<5 {
            let error = failure { () throws(AuthError) in try h.client.headers() }
            #expect(error?.kind == .loginRequired)
            #expect(error?.oauthError == "invalid_grant")
            #expect(error?.oauthErrorDescription == "Token is expired or revoked")
        }
        #expect(h.tokenRequests == 1)
        #expect(h.storage.credentials?.refreshToken == nil)
        let sent = h.transport.requests(to: Harness.tokenURL).map { String(decoding: $0.body, as: UTF8.self) }
        #expect(sent.count == 1 && sent[0].contains("refresh_token=rt-refused"))
    }

    /// A new process starting after the refusal does not send it either.
    @Test func anotherClientDoesNotResendIt() throws {
        let h = try Harness.pkce()
        h.storage.credentials = h.cached("expired", refresh: "rt-refused", expiresIn: -60)
        h.transport.script(Harness.tokenURL, .json(400, #"{"error":"invalid_grant"}"#))
        _ = failure { () throws(AuthError) in try h.client.headers() }
        let second = try AuthClient(settings: h.client.settings, dependencies: .init(
            transport: h.transport, runner: h.runner, storage: h.storage.factory, clock: h.clock))
        let error = failure { () throws(AuthError) in try second.headers() }
        #expect(error?.kind == .loginRequired)
        #expect(h.tokenRequests == 1)
    }

    /// A refresh that works is used, and its new access token saved with the old
    /// refresh token when the IdP sends none.
    @Test func refreshTokenRenewsAnExpiredToken() throws {
        let h = try Harness.pkce()
        h.storage.credentials = h.cached("expired", refresh: "rt-1", expiresIn: -60)
        h.transport.script(Harness.tokenURL, Harness.token("renewed"))
        let snapshot = try h.client.headers()
        #expect(snapshot.accessToken == "renewed")
        #expect(snapshot.headers[0].key == "flyte-authorization")
        #expect(h.storage.credentials?.accessToken == "renewed")
        #expect(h.storage.credentials?.refreshToken == "rt-1")
    }
}

/// A refusal met by a background refresh: the old token is served until it is due, then
/// the caller learns a login is needed, with the IdP's word for why.
@Suite struct BackgroundInvalidGrantTests {
    @Test func aBackgroundRefusalKeepsTheTokenUntilDueThenAsksForALogin() throws {
        let h = try Harness.pkce()
        h.storage.credentials = h.cached("current", refresh: "rt-revoked")
        h.transport.script(Harness.tokenURL, .json(400, #"{"error":"invalid_grant","error_description":"revoked"}"#))
        #expect(try h.client.headers().accessToken == "current")
        h.clock.advance(by: 3570)  // inside the refresh window
        let held = h.transport.hold(Harness.tokenURL)
        #expect(try h.client.headers().accessToken == "current")
        held.arrived.wait(for: 1)
        held.gate.open()
        h.waitForNoFlight()
        #expect(try h.client.headers().accessToken == "current")
        #expect(h.storage.credentials?.refreshToken == nil)
        #expect(h.client.status().objectValue?["has_refresh_token"]?.boolValue == false)
        h.clock.advance(by: 25)  // past the hard deadline
        let error = failure { () throws(AuthError) in try h.client.headers() }
        #expect(error?.kind == .loginRequired)
        #expect(error?.oauthError == "invalid_grant" && error?.oauthErrorDescription == "revoked")
        #expect(h.tokenRequests == 1)
    }
}

/// proxy-authorization from the proxy command, renewed when a refresh is forced.
@Suite struct ProxyAuthorizationTests {
    @Test func theProxyTokenRidesAlongAndIsRenewedOnRejection() throws {
        let h = try Harness.clientCredentials { $0.proxyCommand = ["print-proxy-token"] }
        h.runner.script("proxy-1", "proxy-2")
        h.transport.script(Harness.tokenURL, Harness.token("t1"), Harness.token("t2"))
        let first = try h.client.headers()
        #expect(first.headers.map(\.key) == ["authorization", "proxy-authorization"])
        #expect(first.headers[1].value == "Bearer proxy-1")
        // The IdP is not behind the proxy: its requests carry no proxy token.
        #expect(h.transport.requests(to: Harness.tokenURL)[0].headers.allSatisfy { $0.name.lowercased() != "proxy-authorization" })
        let second = try h.client.refresh(rejected: "t1")
        #expect(second.accessToken == "t2" && second.headers[1].value == "Bearer proxy-2")
        #expect(h.runner.runs.count == 2)
    }
}

/// Another tool rotated the refresh token in the durable tiers while a cache tier (the
/// kernel key) still holds the old one: a refresh starts from the durable tiers.
@Suite struct NewestStateTests {
    @Test func aRefreshSendsTheNewestRefreshTokenNotTheCachedOne() throws {
        let h = try Harness.pkce()
        h.storage.cacheTier = h.cached("old", refresh: "rt-old", expiresIn: 3600)
        h.storage.credentials = h.cached("theirs", refresh: "rt-new", expiresIn: 3600)
        h.transport.script(Harness.tokenURL, Harness.token("renewed", refresh: "rt-3"))
        #expect(try h.client.headers().accessToken == "old", "the cache tier serves within its bound")
        // A newer token than ours is taken with no request; forced again, the newest
        // refresh token is sent, never the cached one.
        #expect(try h.client.refresh(rejected: nil).accessToken == "theirs")
        #expect(h.tokenRequests == 0)
        #expect(try h.client.refresh(rejected: nil).accessToken == "renewed")
        let sent = h.transport.requests(to: Harness.tokenURL).map { String(decoding: $0.body, as: UTF8.self) }
        #expect(sent.count == 1 && sent[0].contains("refresh_token=rt-new"))
    }

    @Test func aRejectionAdoptsAnotherToolsFreshTokenWithNoRequest() throws {
        let h = try Harness.pkce()
        h.storage.cacheTier = h.cached("old", refresh: "rt-old", expiresIn: 3600)
        h.storage.credentials = h.cached("theirs", refresh: "rt-new", expiresIn: 3600)
        #expect(try h.client.headers().accessToken == "old")
        #expect(try h.client.refresh(rejected: "old").accessToken == "theirs")
        #expect(h.tokenRequests == 0)
    }

    /// The login was ended elsewhere (a logout): the refresh token this process holds in
    /// memory does not bring it back.
    @Test func aLoginEndedElsewhereIsNotRevivedFromMemory() throws {
        let h = try Harness.pkce()
        h.storage.credentials = h.cached("mine", refresh: "rt-1", expiresIn: 3600)
        #expect(try h.client.headers().accessToken == "mine")
        h.storage.credentials = nil
        let error = failure { () throws(AuthError) in try h.client.refresh(rejected: "mine") }
        #expect(error?.kind == .loginRequired)
        #expect(h.tokenRequests == 0)
    }
}
