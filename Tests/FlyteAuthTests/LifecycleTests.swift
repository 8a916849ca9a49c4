import FlyteAuthCore
import Synchronization
import Testing

@testable import FlyteAuth

/// Cancel, fork, the command and passthrough flows, the proxy command, the log callback.
@Suite struct CancelTests {
    @Test func cancelStopsTheRunnerAndEveryWaiterAndLaterCallsRunTheirOwnFlight() throws {
        let h = try Harness.clientCredentials()
        h.transport.script(Harness.tokenURL, Harness.token("after-cancel"))
        let held = h.transport.hold(Harness.tokenURL)
        let runner = h.headersOnThread()
        held.arrived.wait(for: 1)
        let waiters = (0..<3).map { _ in h.headersOnThread() }
        h.waitForWaiters(3)
        h.client.cancel()
        // The waiters wake on the cancel itself, with the request still held.
        for w in waiters { #expect(w.join().kind == .cancelled) }
        held.gate.open()
        #expect(runner.join().kind == .cancelled)
        // A call after the cancel is not cancelled: it runs its own flight.
        #expect(try h.client.headers().accessToken == "after-cancel")
        #expect(h.tokenRequests == 2)
    }

    @Test func cancelStopsTheProxyCommand() throws {
        let h = try Harness.clientCredentials { $0.proxyCommand = ["print-proxy-token"] }
        h.runner.script("proxy-token")
        h.transport.script(Harness.tokenURL, Harness.token("t1"))
        let held = h.runner.hold()
        let call = h.headersOnThread()
        held.arrived.wait(for: 1)
        h.client.cancel()
        held.gate.open()
        #expect(call.join().kind == .cancelled)
        #expect(h.tokenRequests == 0)
    }
}

@Suite struct ForkTests {
    @Test func aClientRefusesToRunAfterFork() throws {
        let h = try Harness.clientCredentials()
        h.transport.script(Harness.tokenURL, Harness.token("parent"))
        #expect(try h.client.headers().accessToken == "parent")
        #expect(!h.client.isForked)
        h.fork.fork()
        #expect(h.client.isForked)
        #expect(failure { () throws(AuthError) in try h.client.headers() }?.kind == .forked)
        #expect(failure { () throws(AuthError) in try h.client.refresh(rejected: nil) }?.kind == .forked)
        #expect(failure { () throws(AuthError) in try h.client.login() }?.kind == .forked)
        #expect(h.tokenRequests == 1)
    }
}

@Suite struct CommandFlowTests {
    static func harness(_ adjust: (inout Settings) -> Void = { _ in }) throws -> Harness {
        var s = Settings()
        s.endpoint = Harness.endpoint
        s.authType = .externalCommand
        s.command = ["get-token", "--audience", "flyte"]
        s.authorizationHeader = "authorization"
        s.discoveryCacheTTLSeconds = 0
        adjust(&s)
        return try Harness(settings: s)
    }

    @Test func theCommandsOutputIsTheTokenAndARejectionRunsItAgain() throws {
        let h = try CommandFlowTests.harness()
        h.runner.script("cmd-1", "cmd-2")
        let snapshot = try h.client.headers()
        #expect(snapshot.accessToken == "cmd-1")
        #expect(snapshot.headers[0].key == "authorization" && snapshot.headers[0].value == "Bearer cmd-1")
        #expect(try h.client.headers().accessToken == "cmd-1")
        #expect(h.runner.runs == [["get-token", "--audience", "flyte"]])
        #expect(try h.client.refresh(rejected: "cmd-1").accessToken == "cmd-2")
        #expect(h.runner.runs.count == 2)
        // The command's tokens are its own cache's: not written to ours.
        #expect(h.storage.saves == 0)
        #expect(h.transport.requests(to: Harness.tokenURL).isEmpty)
    }

    @Test func cancelReachesTheRunningCommand() throws {
        let h = try CommandFlowTests.harness()
        h.runner.script("cmd-1")
        let held = h.runner.hold()
        let call = h.headersOnThread()
        held.arrived.wait(for: 1)
        h.client.cancel()
        held.gate.open()
        #expect(call.join().kind == .cancelled)
    }
}

@Suite struct PassthroughTests {
    static func harness() throws -> Harness {
        var s = Settings()
        s.endpoint = Harness.endpoint
        s.authType = .passthrough
        s.authorizationHeader = "flyte-authorization"
        return try Harness(settings: s)
    }

    @Test func theHostsTokenIsServedUntilRejected() throws {
        let h = try PassthroughTests.harness()
        #expect(failure { () throws(AuthError) in try h.client.headers() }?.kind == .loginRequired)
        try h.client.setToken("Bearer host-token", expiresAt: h.clock.now() + 3600)
        let snapshot = try h.client.headers()
        #expect(snapshot.accessToken == "host-token")
        #expect(snapshot.headers[0].key == "flyte-authorization")
        #expect(failure { () throws(AuthError) in try h.client.refresh(rejected: "host-token") }?.kind == .loginRequired)
        #expect(failure { () throws(AuthError) in try h.client.headers() }?.kind == .loginRequired)
        try h.client.setToken("host-token-2", expiresAt: nil)
        #expect(try h.client.headers().accessToken == "host-token-2")
        #expect(h.transport.requests(to: Harness.tokenURL).isEmpty)
        #expect(failure { () throws(AuthError) in try h.client.setToken("two\nlines", expiresAt: nil) }?.kind == .invalidArgument)
    }

    @Test func anExpiredHostTokenIsNotServed() throws {
        let h = try PassthroughTests.harness()
        try h.client.setToken("short", expiresAt: h.clock.now() + 100)
        #expect(try h.client.headers().accessToken == "short")
        h.clock.advance(by: 95)
        #expect(failure { () throws(AuthError) in try h.client.headers() }?.kind == .loginRequired)
    }
}

@Suite struct LogTests {
    /// The sink runs with no engine lock held: it may call back into the same client.
    @Test func theLogCallbackMayCallBackIntoTheClient() throws {
        let h = try Harness.pkce()
        h.storage.credentials = h.cached("expired", refresh: "rt", expiresIn: -60)
        h.transport.script(Harness.tokenURL, .json(400, #"{"error":"invalid_grant"}"#))
        let lines = Mutex<[String]>([])
        let client = h.client
        client.logger.setSink(
            { level, text in
                let status = client.status()  // would deadlock if called under the client's lock
                let again = Outcome { () throws(AuthError) in try client.headers() }
                lines.withLock {
                    $0.append("\(text) | has_token=\(status.objectValue?["has_token"]?.boolValue == true) | \(again.kind.map { "\($0)" } ?? "token")")
                }
            }, minimum: .info)
        #expect(failure { () throws(AuthError) in try client.headers() }?.kind == .loginRequired)
        let seen = lines.withLock { $0 }
        #expect(seen.contains { $0.hasPrefix("refresh token was refused (invalid_grant)") && $0.hasSuffix("loginRequired") })
        #expect(h.tokenRequests == 1)
    }
}
