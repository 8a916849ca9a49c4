@testable import FlyteAuth
import FlyteAuthCore

/// One client wired to fakes, with the URLs and helpers the tests share.
struct Harness {
    static let endpoint = "flyte.test"
    static let tokenURL = "https://idp.test/oauth2/token"
    static let metadataURL = "https://flyte.test/.well-known/oauth-authorization-server"
    static let clientConfigURL = "https://flyte.test/config/v1/flyte_client"

    let transport = FakeTransport()
    let storage: MemoryStorage
    let clock = FakeClock()
    let runner = FakeRunner()
    let fork = FakeFork()
    let client: AuthClient

    /// Client credentials with everything configured (no discovery).
    static func clientCredentials(_ adjust: (inout Settings) -> Void = { _ in }) throws -> Harness {
        var s = Settings()
        s.endpoint = endpoint
        s.authType = .clientSecret
        s.clientID = "app"
        s.clientSecret = "app-secret"
        s.tokenURL = tokenURL
        s.authorizationHeader = "authorization"
        s.scopes = ["all"]
        s.discoveryCacheTTLSeconds = 0
        adjust(&s)
        return try Harness(settings: s)
    }

    /// A browser login client that may not ask a person: it lives on refresh tokens.
    static func pkce() throws -> Harness {
        var s = Settings()
        s.endpoint = endpoint
        s.authType = .pkce
        s.interactive = false
        s.discoveryCacheTTLSeconds = 0
        let h = try Harness(settings: s)
        h.transport.script(metadataURL, .json(200, """
            {"issuer":"https://idp.test","authorization_endpoint":"https://idp.test/oauth2/auth",
             "token_endpoint":"\(tokenURL)"}
            """))
        h.transport.script(clientConfigURL, .json(200, """
            {"client_id":"flytectl","redirect_uri":"http://localhost:53593/callback","scopes":["offline","all"],
             "authorization_metadata_key":"flyte-authorization"}
            """))
        return h
    }

    /// `storage`: the shared cache, another harness's to play a second process.
    init(settings: Settings, storage: MemoryStorage = MemoryStorage()) throws {
        self.storage = storage
        client = try AuthClient(settings: settings, dependencies: .init(
            transport: transport, runner: runner, storage: storage.factory, clock: clock, forkGeneration: fork.probe))
    }

    /// A token response; `expiresIn` seconds from the fake clock's now.
    static func token(_ access: String, refresh: String? = nil, expiresIn: Int = 3600) -> FakeTransport.Reply {
        let r = refresh.map { ",\"refresh_token\":\"\($0)\"" } ?? ""
        return .json(200, "{\"access_token\":\"\(access)\",\"token_type\":\"Bearer\",\"expires_in\":\(expiresIn)\(r)}")
    }

    /// Credentials as another process with the same credential would have cached them,
    /// issued now (a machine's cache items carry its credential binding).
    func cached(_ access: String, refresh: String? = nil, expiresIn: Double = 3600) -> Credentials {
        let now = clock.now()
        var c = Credentials(accessToken: access, refreshToken: refresh, expiresAt: now + expiresIn, obtainedAt: now)
        c.binding = client.binding
        return c
    }

    var tokenRequests: Int { transport.count(Harness.tokenURL) }
}

/// The error a call threw, or nil.
func failure<T>(_ body: () throws(AuthError) -> T) -> AuthError? {
    do throws(AuthError) { _ = try body(); return nil } catch { return error }
}

extension Harness {
    /// Blocks until `n` callers wait for a flight (the engine's own count; no sleeping).
    func waitForWaiters(_ n: Int) {
        _ = client.state.wait(until: Clock.monotonic() + 60) { $0.waiters >= n ? true : nil }
    }

    /// Blocks until no flight runs (a background refresh finished).
    func waitForNoFlight() {
        _ = client.state.wait(until: Clock.monotonic() + 60) { $0.flight == nil ? true : nil }
    }

    /// A thread calling `headers()`.
    func headersOnThread() -> Spawned<Outcome> {
        let client = self.client
        return Spawned { Outcome { () throws(AuthError) in try client.headers() } }
    }
}
