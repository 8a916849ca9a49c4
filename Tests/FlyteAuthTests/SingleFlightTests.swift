@testable import FlyteAuth
import FlyteAuthCore
import Testing

/// Concurrent callers share one flight, its result and its failure.
@Suite struct SingleFlightTests {
    @Test func concurrentCallersShareOneTokenRequest() throws {
        let h = try Harness.clientCredentials()
        h.transport.script(Harness.tokenURL, Harness.token("shared"))
        let held = h.transport.hold(Harness.tokenURL)
        let first = h.headersOnThread()
        held.arrived.wait(for: 1)
        let others = (0..<7).map { _ in h.headersOnThread() }
        h.waitForWaiters(7)
        held.gate.open()
        #expect(first.join() == .token("shared"))
        for t in others { #expect(t.join() == .token("shared")) }
        #expect(h.tokenRequests == 1)
        #expect(h.storage.saves == 1)
    }

    @Test func aFailureIsSharedByEveryWaiterAndWakesThem() throws {
        let h = try Harness.clientCredentials()
        h.transport.script(Harness.tokenURL, .json(401, #"{"error":"invalid_client","error_description":"bad secret"}"#),
                           Harness.token("later"))
        let held = h.transport.hold(Harness.tokenURL)
        let first = h.headersOnThread()
        held.arrived.wait(for: 1)
        let others = (0..<5).map { _ in h.headersOnThread() }
        h.waitForWaiters(5)
        held.gate.open()
        let outcome = first.join()
        #expect(outcome.kind == .oauth)
        for t in others { #expect(t.join() == outcome) }
        #expect(h.tokenRequests == 1)
        // The failure is not remembered: the next call runs its own flight.
        #expect(try h.client.headers().accessToken == "later")
        #expect(h.tokenRequests == 2)
    }

    @Test func aValidTokenIsServedFromMemory() throws {
        let h = try Harness.clientCredentials()
        h.transport.script(Harness.tokenURL, Harness.token("t1"))
        for _ in 0..<5 { #expect(try h.client.headers().accessToken == "t1") }
        h.clock.advance(by: 3000)
        #expect(try h.client.headers().accessToken == "t1")
        #expect(h.tokenRequests == 1)
        #expect(h.storage.locks == 1)
    }

    @Test func anExpiredTokenIsReplacedBeforeItIsServed() throws {
        let h = try Harness.clientCredentials()
        h.transport.script(Harness.tokenURL, Harness.token("t1"), Harness.token("t2"))
        _ = try h.client.headers()
        h.clock.advance(by: 3595)  // past the hard deadline (10 s before expiry)
        #expect(try h.client.headers().accessToken == "t2")
        #expect(h.tokenRequests == 2)
    }
}

/// Ahead of expiry the old token is served while one background refresh runs.
@Suite struct BackgroundRefreshTests {
    @Test func pastTheSoftDeadlineTheOldTokenIsServedWhileOneRefreshRuns() throws {
        let h = try Harness.clientCredentials()
        h.transport.script(Harness.tokenURL, Harness.token("old"), Harness.token("new"))
        #expect(try h.client.headers().accessToken == "old")
        h.clock.advance(by: 3570)  // 30 s before expiry: inside the 60 s window, before the hard deadline
        let held = h.transport.hold(Harness.tokenURL)
        #expect(try h.client.headers().accessToken == "old")
        held.arrived.wait(for: 1)
        // While it runs, callers get the old token and start no second refresh.
        for _ in 0..<3 { #expect(try h.client.headers().accessToken == "old") }
        #expect(h.tokenRequests == 2)
        held.gate.open()
        h.waitForNoFlight()
        #expect(try h.client.headers().accessToken == "new")
        #expect(h.tokenRequests == 2)
        #expect(h.storage.credentials?.accessToken == "new")
    }

    @Test func aFailedBackgroundRefreshKeepsTheTokenAndRetriesLater() throws {
        let h = try Harness.clientCredentials()
        h.transport.script(Harness.tokenURL, Harness.token("old"), .failure(AuthError(.network, "idp.test: unreachable")),
                           Harness.token("new"))
        _ = try h.client.headers()
        h.clock.advance(by: 3560)
        let held = h.transport.hold(Harness.tokenURL)
        #expect(try h.client.headers().accessToken == "old")
        held.arrived.wait(for: 1)
        held.gate.open()
        h.waitForNoFlight()
        // Within the retry delay: the old token, no new attempt.
        #expect(try h.client.headers().accessToken == "old")
        #expect(h.tokenRequests == 2)
        h.clock.advance(by: ClientState.backgroundRetryDelay)
        let again = h.transport.hold(Harness.tokenURL)
        #expect(try h.client.headers().accessToken == "old")
        again.arrived.wait(for: 1)
        again.gate.open()
        h.waitForNoFlight()
        #expect(try h.client.headers().accessToken == "new")
        #expect(h.tokenRequests == 3)
    }
}

/// The shared cache is re-read under the cross-process lock before asking the IdP.
@Suite struct CrossProcessTests {
    @Test func aTokenAnotherProcessWroteWhileWeWaitedForTheLockIsUsed() throws {
        let h = try Harness.clientCredentials()
        h.transport.script(Harness.tokenURL, Harness.token("ours"))
        _ = try h.client.headers()
        h.clock.advance(by: 3595)
        let storage = h.storage, fresh = h.cached("theirs")
        storage.whenLocked { storage.credentials = fresh }
        #expect(try h.client.headers().accessToken == "theirs")
        #expect(h.tokenRequests == 1)
        #expect(h.client.status().objectValue?["token_source"]?.stringValue == "cache")
    }

    @Test func aNewProcessUsesTheCachedTokenWithoutTheLock() throws {
        let h = try Harness.clientCredentials()
        h.storage.credentials = h.cached("cached")
        #expect(try h.client.headers().accessToken == "cached")
        #expect(h.tokenRequests == 0)
        #expect(h.storage.locks == 0)
    }

    @Test func anExpiredCachedTokenIsReplacedAndTheCacheUpdated() throws {
        let h = try Harness.clientCredentials()
        let now = h.clock.now()
        // Issued an hour ago, 5 s left: inside its hard deadline (10 s before expiry).
        h.storage.credentials = Credentials(accessToken: "stale", expiresAt: now + 5, obtainedAt: now - 3595)
        h.transport.script(Harness.tokenURL, Harness.token("renewed"))
        #expect(try h.client.headers().accessToken == "renewed")
        #expect(h.storage.credentials?.accessToken == "renewed")
        #expect(h.tokenRequests == 1)
    }

    @Test func loginRunsTheFlowEvenWithACachedToken() throws {
        let h = try Harness.clientCredentials()
        h.storage.credentials = h.cached("cached")
        h.transport.script(Harness.tokenURL, Harness.token("fresh-login"))
        #expect(try h.client.login().accessToken == "fresh-login")
        #expect(h.tokenRequests == 1)
        #expect(h.storage.credentials?.accessToken == "fresh-login")
    }

    @Test func logoutForgetsTheTokenEverywhere() throws {
        let h = try Harness.clientCredentials()
        h.transport.script(Harness.tokenURL, Harness.token("t1"), Harness.token("t2"))
        _ = try h.client.headers()
        try h.client.logout()
        #expect(h.storage.credentials == nil)
        #expect(try h.client.headers().accessToken == "t2")
    }
}
