@testable import FlyteAuth
import FlyteAuthCore
import Glibc
import Testing

/// The environment a client reads, all in ClientConfiguration.
@Suite struct ConfigurationTests {
    static func base64(_ text: String) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let bytes = Array(text.utf8)
        var out = ""
        for i in stride(from: 0, to: bytes.count, by: 3) {
            let chunk = Array(bytes[i..<min(i + 3, bytes.count)]) + [0, 0]
            let n = (UInt32(chunk[0]) << 16) | (UInt32(chunk[1]) << 8) | UInt32(chunk[2])
            let count = min(3, bytes.count - i)
            for j in 0..<4 { out.append(j <= count ? table[Int((n >> (18 - 6 * UInt32(j))) & 63)] : "=") }
        }
        return out
    }

    @Test func theAPIKeyComesFromTheEnvironmentWhenTheSettingsHaveNone() throws {
        var s = Settings()
        s.authType = .apiKey
        let env = Environment(["FLYTE_API_KEY": ConfigurationTests.base64("flyte.example.com:key-client:key-secret:None")])
        let c = try ClientConfiguration.resolve(s, environment: env)
        #expect(c.settings.authType == .apiKey)
        #expect(c.apiKey?.clientID == "key-client")
        #expect(c.endpoint?.hostAndPort == "flyte.example.com")
        let missing = failure { () throws(AuthError) in try ClientConfiguration.resolve(s, environment: Environment([:])) }
        #expect(missing?.kind == .config && missing?.message.contains("FLYTE_API_KEY") == true)
    }

    @Test(arguments: [
        ("{}", [:], AuthType.pkce),
        (#"{"client_id":"a","client_secret":"s"}"#, [:], .clientSecret),
        (#"{"client_secret_location":"/s"}"#, [:], .clientSecret),
        (#"{"client_secret_env_var":"S"}"#, [:], .clientSecret),
        (#"{"command":["tok"]}"#, [:], .externalCommand),
        (#"{"client_secret":"s"}"#, ["FLYTEAUTH_AUTH_TYPE": "DeviceFlow"], .deviceFlow),
        (#"{"auth_type":"pkce","client_secret":"s"}"#, ["FLYTEAUTH_AUTH_TYPE": "DeviceFlow"], .pkce),
        (#"{"client_secret":""}"#, ["FLYTEAUTH_AUTH_TYPE": ""], .pkce),
    ] as [(String, [String: String], AuthType)])
    func anUnsetAuthTypeIsChosenHere(json: String, environment: [String: String], expected: AuthType) throws {
        let s = try Settings.parse(json: Array(json.utf8))
        #expect(try ClientConfiguration.resolve(s, environment: Environment(environment)).settings.authType == expected)
    }

    @Test func anUnknownAuthTypeInTheEnvironmentIsAConfigurationError() throws {
        let e = failure { () throws(AuthError) in
            try ClientConfiguration.resolve(Settings(), environment: Environment(["FLYTEAUTH_AUTH_TYPE": "kerberos"]))
        }
        #expect(e?.kind == .config && e?.message.contains("FLYTEAUTH_AUTH_TYPE") == true)
    }

    @Test func filesArePlacedByTheXDGVariables() throws {
        var s = Settings()
        s.endpoint = "flyte.test"
        let env = Environment(["HOME": "/home/u", "XDG_CACHE_HOME": "/xc", "XDG_STATE_HOME": "/xs", "FLYTEAUTH_FILE_CACHE": "1"])
        let c = try ClientConfiguration.resolve(s, environment: env)
        #expect(c.cacheDirectory == "/xc/flyteauth")
        #expect(c.lockDirectory == "/xc/flyteauth/locks")
        #expect(c.fileCachePath == "/xs/flyteauth/tokens.json")
        let runtime = try ClientConfiguration.resolve(s, environment: Environment(["HOME": "/home/u", "XDG_RUNTIME_DIR": "/run/user/1"]))
        #expect(runtime.lockDirectory == "/run/user/1/flyteauth")
        #expect(runtime.cacheDirectory == "/home/u/.cache/flyteauth")
        #expect(runtime.fileCachePath == nil)  // the file cache is opt-in
        s.cacheDir = "/custom"
        s.fileCache = true
        s.fileCachePath = "/tokens.json"
        let explicit = try ClientConfiguration.resolve(s, environment: env)
        #expect(explicit.cacheDirectory == "/custom" && explicit.fileCachePath == "/tokens.json")
    }

    @Test func aClientTakesItsEnvironmentFromItsDependencies() throws {
        var s = Settings()
        s.authType = .apiKey
        s.tokenURL = Harness.tokenURL
        s.authorizationHeader = "authorization"
        s.scopes = ["all"]
        let env = Environment(["FLYTE_API_KEY": ConfigurationTests.base64("flyte.test:key-client:key-secret:None")])
        let transport = FakeTransport()
        transport.script(Harness.tokenURL, Harness.token("from-key"))
        let client = try AuthClient(settings: s, dependencies: .init(transport: transport, environment: env))
        #expect(try client.headers().accessToken == "from-key")
        let body = String(decoding: transport.requests(to: Harness.tokenURL)[0].body, as: UTF8.self)
        #expect(body.contains("grant_type=client_credentials"))
        #expect(client.cacheClientID == "key-client")
    }
}

/// The file cache drops a refused refresh token and keeps the rest.
@Suite struct FileStoreTests {
    @Test func forgettingARefreshTokenKeepsTheAccessToken() throws {
        var template = Array("/tmp/flyteauth-test-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer {
            unlink(dir + "/tokens.json"); unlink(dir + "/tokens.json.lock"); rmdir(dir)
        }
        let key = CacheKey(endpoint: try FlyteEndpoint("flyte.test", insecure: false), clientID: "flytectl")
        let store = FileStore(path: dir + "/tokens.json", key: key, tokenEndpoint: Harness.tokenURL, lockTimeout: 5)
        try store.save(Credentials(accessToken: "at", refreshToken: "rt", expiresAt: 2_000_000_000, obtainedAt: 1_900_000_000))
        try store.forgetRefreshToken("some-other-token")
        #expect(try store.load()?.refreshToken == "rt")
        try store.forgetRefreshToken("rt")
        let after = try store.load()
        #expect(after?.accessToken == "at" && after?.refreshToken == nil)
    }
}
