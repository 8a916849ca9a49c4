import FlyteAuthCore
import Testing

@Suite struct SettingsTests {
    func parse(_ json: String) throws(AuthError) -> Settings { try Settings.parse(json: Array(json.utf8)) }

    @Test func defaultsMatchFlytekit() throws {
        let s = try parse("{}")
        #expect(s.authType == .pkce)
        #expect(s.interactive && s.keyring && !s.fileCache)
        #expect(s.mirrorLayouts == ["flytekit", "flyte-sdk", "flytectl"])
        #expect(s.loginTimeoutSeconds == 120 && s.deviceFlowTimeoutSeconds == 600)
    }

    @Test(arguments: [
        ("standard", AuthType.pkce), ("Pkce", .pkce), ("DeviceFlow", .deviceFlow), ("basic", .clientSecret),
        ("client_credentials", .clientSecret), ("ClientSecret", .clientSecret), ("external_process", .externalCommand),
        ("ExternalCommand", .externalCommand), ("Passthrough", .passthrough), ("api_key", .apiKey), ("CLIENTSECRET", .clientSecret),
        // flytekit plugin names (bindings/python) in a shared config.yaml mean the same flows.
        ("flyteauth_pkce", .pkce), ("flyteauth_deviceflow", .deviceFlow), ("flyteauth_clientsecret", .clientSecret),
        ("flyteauth_externalcommand", .externalCommand), ("flyteauth", .pkce),
    ])
    func everyAuthTypeSpelling(spelling: String, expected: AuthType) throws {
        #expect(try parse("{\"auth_type\":\"\(spelling)\"}").authType == expected)
    }

    @Test func unknownKeyIsNamedWithASuggestion() {
        #expect(throws: AuthError.self) { try parse("{\"clientId\":\"x\"}") }
        do { _ = try parse("{\"clientId\":\"x\"}") } catch {
            #expect(error.kind == .config)
            #expect(error.message.contains("\"clientId\"") && error.message.contains("did you mean \"client_id\""))
        }
    }

    @Test func wrongTypesNameTheKey() {
        for (json, key) in [("{\"insecure\":\"yes\"}", "insecure"), ("{\"scopes\":[1]}", "scopes"),
                            ("{\"http_timeout_seconds\":\"5\"}", "http_timeout_seconds"), ("{\"endpoint\":null,\"command\":{}}", "command")] {
            do { _ = try parse(json); Issue.record("\(json) parsed") } catch {
                #expect(error.kind == .config && error.message.contains(key), "\(error.message)")
            }
        }
    }

    @Test func rejectsBadValues() {
        for json in ["{\"http_timeout_seconds\":0}", "{\"lock_timeout_seconds\":-1}", "{\"command\":[]}",
                     "{\"authorization_header\":\"bad header\"}", "{\"mirror_layouts\":[\"x\"]}", "[1]", "not json"] {
            #expect(throws: AuthError.self, "\(json)") { try parse(json) }
        }
    }

    @Test func nullMeansUnset() throws {
        #expect(try parse("{\"client_id\":null}").clientID == nil)
    }
}

@Suite struct EndpointTests {
    @Test func stripsDNSPrefixAndPicksScheme() throws {
        let e = try FlyteEndpoint("dns:///flyte.example.com:443", insecure: false)
        #expect(e.withoutDNSPrefix == "flyte.example.com:443")
        #expect(e.hostAndPort == "flyte.example.com:443")
        #expect(e.baseURL == "https://flyte.example.com:443")
        let local = try FlyteEndpoint("localhost:30080", insecure: true)
        #expect(local.baseURL == "http://localhost:30080" && local.host == "localhost")
        let explicit = try FlyteEndpoint("http://127.0.0.1:8088/", insecure: false)
        #expect(explicit.baseURL == "http://127.0.0.1:8088" && explicit.hostAndPort == "127.0.0.1:8088")
    }

    @Test func rejectsGarbage() {
        for bad in ["", "  ", "ftp://x", "https://", "has space.com", "dns:///"] {
            #expect(throws: AuthError.self, "\(bad)") { try FlyteEndpoint(bad, insecure: false) }
        }
    }
}

@Suite struct APIKeyTests {
    @Test func decodesFlyteSDKFormat() throws {
        let key = Base64.encode(Array("tenant.example.com:my-app:s3cr:et:None".utf8))
        let k = try APIKey(decoding: key)
        #expect(k.endpoint == "tenant.example.com" && k.clientID == "my-app")
        #expect(k.clientSecret == "s3cr")
        #expect(k.organization == "et:None")  // split on the first three colons only
        let simple = try APIKey(decoding: APIKey(endpoint: "e", clientID: "c", clientSecret: "s", organization: nil).encoded)
        #expect(simple.organization == nil && simple.clientSecret == "s")
    }

    @Test func malformedKeysGetClearErrorsWithoutEchoingTheKey() {
        let cases = ["", "!!!not-base64!!!", Base64.encode(Array("only:two".utf8)), Base64.encode([0xff, 0xfe, 0x3a])]
        for raw in cases {
            do { _ = try APIKey(decoding: raw); Issue.record("accepted \(raw)") } catch {
                #expect(error.kind == .config && error.message.contains("API key"))
                if !raw.isEmpty { #expect(!error.message.contains(raw)) }
            }
        }
    }
}

@Suite struct FormEncodingTests {
    @Test func basicHeaderVectorsFromFlytekit() {
        #expect(FormEncoding.basicAuthorization(clientID: "client_id", clientSecret: "abc") == "Basic Y2xpZW50X2lkOmFiYw==")
        // RFC 6749 2.3.1: both parts are form-urlencoded before base64 (flytekit encodes only the secret).
        #expect(FormEncoding.basicAuthorization(clientID: "a:b", clientSecret: "p@ss word")
                == "Basic " + Base64.encode(Array("a%3Ab:p%40ss%20word".utf8)))
    }

    @Test func roundTripsQueryStrings() {
        let fields = [("state", "a b+c/=&"), ("code", "xyz"), ("unicode", "é")]
        let decoded = FormEncoding.decode(Substring(FormEncoding.encode(fields)))!
        #expect(decoded.map { $0.0 } == ["state", "code", "unicode"])
        #expect(decoded.map { $0.1 } == ["a b+c/=&", "xyz", "é"])
        #expect(FormEncoding.decode("a=%ff") == nil)  // not UTF-8
    }

    @Test func keepsAnExistingQuery() {
        #expect(FormEncoding.appendQuery("https://idp/auth?tenant=x", [("a", "1")]) == "https://idp/auth?tenant=x&a=1")
        #expect(FormEncoding.appendQuery("https://idp/auth", [("a", "1")]) == "https://idp/auth?a=1")
    }
}

/// Every duration is a real deadline or a config error naming its key.
@Suite struct DurationSettingTests {
    let timeouts = ["http_timeout_seconds", "connect_timeout_seconds", "command_timeout_seconds", "login_timeout_seconds",
                    "device_flow_timeout_seconds", "keyring_timeout_seconds"]

    func rejects(_ json: String, naming key: String) {
        do { _ = try Settings.parse(json: Array(json.utf8)); Issue.record("\(json) accepted") } catch {
            #expect(error.kind == .config && error.message.contains("\"\(key)\""), "\(error.message)")
        }
    }

    @Test func subMillisecondZeroNegativeAndHugeTimeoutsAreRejected() {
        for key in timeouts {
            for value in ["0.0004", "0", "-1", "1e300", "31536001"] { rejects("{\"\(key)\":\(value)}", naming: key) }
        }
        for key in ["lock_timeout_seconds", "refresh_window_seconds", "discovery_cache_ttl_seconds"] {
            for value in ["-0.5", "1e300"] { rejects("{\"\(key)\":\(value)}", naming: key) }
        }
    }

    @Test func nonFiniteValuesFromConfigFilesAreRejected() {
        for value in [Double.nan, .infinity, -.infinity] {
            var s = Settings()
            s.httpTimeoutSeconds = value
            #expect(throws: AuthError.self) { try s.validate() }
        }
    }

    @Test func oneMillisecondAndOneYearAreAccepted() throws {
        #expect(try Settings.parse(json: Array(#"{"http_timeout_seconds":0.001}"#.utf8)).httpTimeoutSeconds == 0.001)
        #expect(try Settings.parse(json: Array(#"{"connect_timeout_seconds":31536000}"#.utf8)).connectTimeoutSeconds == 31_536_000)
        #expect(try Settings.parse(json: Array(#"{"lock_timeout_seconds":0}"#.utf8)).lockTimeoutSeconds == 0)
    }
}
