import FlyteAuthCore
import Testing

@Suite struct FlyteConfigTests {
    func yaml(_ text: String) throws(AuthError) -> ConfigLayer { try FlyteConfig.parseYAML(Array(text.utf8), path: "config.yaml") }
    func ini(_ text: String) throws(AuthError) -> ConfigLayer { try FlyteConfig.parseINI(Array(text.utf8), path: "flytekit.config") }
    func merge(
        file: ConfigLayer = [:], env: [String: String] = [:], overrides: ConfigLayer = [:],
        secret: Bool = true
    ) throws(AuthError) -> ResolvedSettings {
        try ResolvedSettings.merge(
            file: file, environment: try FlyteConfig.environmentLayer(env), overrides: overrides,
            configFile: nil, secretAvailable: { _ in secret })
    }

    @Test func readsFlytectlYAMLWithSources() throws {
        let layer = try yaml(
            """
            admin:
              # a comment
              endpoint: dns:///flyte.example.com
              insecure: false
              authType: Pkce
              clientId: my-client
              scopes:
                - all
                - offline
              pkceConfig:
                timeout: 3m
              deviceFlowConfig:
                timeout: 1h30m
              disableKeyring: true
              maxRetries: 5
            logger:
              level: 0
            """)
        #expect(layer["endpoint"]?.value == "dns:///flyte.example.com")
        #expect(layer["endpoint"]?.source == "config.yaml:3")
        #expect(layer["scopes"]?.value == ["all", "offline"])
        #expect(layer["login_timeout_seconds"]?.value == 180)
        #expect(layer["device_flow_timeout_seconds"]?.value == 5400)
        #expect(layer["keyring"]?.value == false)
        let s = try merge(file: layer).settings
        #expect(s.authType == .pkce && s.clientID == "my-client" && !s.insecure)
        #expect(try FlyteEndpoint(s.endpoint!, insecure: false).hostAndPort == "flyte.example.com")
    }

    @Test func readsFlytekitINI() throws {
        let layer = try ini(
            """
            [platform]
            url = flyte.example.com:443
            insecure = False

            [credentials]
            client_id = svc
            auth_mode = basic
            scopes = all, custom
            command = /usr/bin/get-token,--quiet
            """)
        let s = try merge(file: layer).settings
        #expect(s.endpoint == "flyte.example.com:443" && !s.insecure)
        #expect(s.authType == .clientSecret && s.clientID == "svc")
        #expect(s.scopes == ["all", "custom"] && s.command == ["/usr/bin/get-token", "--quiet"])
    }

    @Test func environmentOverridesTheFileWithFlytekitsBooleansAndLists() throws {
        let file = try yaml("admin:\n  endpoint: file.example.com\n  insecure: true\n  scopes: [all]\n")
        for (text, expected) in [
            ("false", false), ("0", false), ("OFF", false), ("no", false), ("", false), ("True", true), ("1", true), ("yes", true),
        ] {
            let s = try merge(file: file, env: ["FLYTE_PLATFORM_INSECURE": text]).settings
            #expect(s.insecure == expected, "FLYTE_PLATFORM_INSECURE=\(text)")
        }
        let r = try merge(file: file, env: ["FLYTE_PLATFORM_URL": "env.example.com", "FLYTE_CREDENTIALS_SCOPES": "a, b,,c"])
        #expect(r.settings.endpoint == "env.example.com" && r.settings.scopes == ["a", "b", "c"])
        #expect(r.sources["endpoint"]?.source == "env FLYTE_PLATFORM_URL")
        // Explicit overrides win over both.
        let o = try merge(
            file: file, env: ["FLYTE_PLATFORM_URL": "env.example.com"],
            overrides: ["endpoint": ConfigValue("cli.example.com", source: "overrides")])
        #expect(o.settings.endpoint == "cli.example.com")
    }

    @Test func aSecretFileOrVariableForcesClientSecretAsInFlytekit() throws {
        let file = try yaml("admin:\n  authType: Pkce\n  clientSecretLocation: /run/secrets/flyte\n")
        #expect(try merge(file: file).settings.authType == .clientSecret)
        #expect(try merge(file: file, secret: false).settings.authType == .pkce)  // the file is empty or missing
        let env = try merge(env: ["FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR": "MY_SECRET"])
        #expect(env.settings.authType == .clientSecret && env.settings.clientSecretEnvVar == "MY_SECRET")
        // Overrides still win.
        let o = try merge(file: file, overrides: ["auth_type": ConfigValue("DeviceFlow", source: "overrides")])
        #expect(o.settings.authType == .deviceFlow)
    }

    @Test func apiKeyFromTheEnvironmentOnlyWhenNoOtherTypeIsChosen() throws {
        let key = APIKey(endpoint: "t.example.com", clientID: "c", clientSecret: "s", organization: nil).encoded
        #expect(try merge(env: ["FLYTE_API_KEY": key]).settings.apiKey == key)
        let pkce = try yaml("admin:\n  authType: Pkce\n")
        #expect(try merge(file: pkce, env: ["FLYTE_API_KEY": key]).settings.apiKey == nil)
    }

    @Test func oursectionIsStrict() throws {
        let layer = try yaml("flyteauth:\n  file_cache: true\n  refresh_window_seconds: 30\n")
        let s = try merge(file: layer).settings
        #expect(s.fileCache && s.refreshWindowSeconds == 30)
        do {
            _ = try yaml("flyteauth:\n  fileCache: true\n")
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("config.yaml:2") && error.message.contains("file_cache"))
        }
    }

    @Test func malformedFilesNameFileLineAndKey() {
        let cases: [(String, Bool, [String])] = [
            ("admin:\n  endpoint: [a\n", true, ["config.yaml:", "YAML"]),
            ("admin:\n  scopes:\n    nested: map\n", true, ["config.yaml:3", "admin.scopes"]),
            ("admin:\n  endpoint:\n    - a\n", true, ["config.yaml:3", "admin.endpoint"]),
            ("admin:\n  pkceConfig:\n    timeout: soon\n", true, ["config.yaml:3", "admin.pkceConfig.timeout", "soon"]),
            ("- just\n- a list\n", true, ["config.yaml:1", "mapping"]),
            ("[platform\nurl = x\n", false, ["flytekit.config:1", "section"]),
            ("url = x\n", false, ["flytekit.config:1", "before any [section]"]),
            ("[platform]\nthis is not a key value\n", false, ["flytekit.config:2"]),
            ("admin:\n  authType: magic\n", true, ["config.yaml:2", "magic"]),
        ]
        for (text, isYAML, mentions) in cases {
            do {
                let layer = isYAML ? try yaml(text) : try ini(text)
                _ = try merge(file: layer)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.kind == .config)
                for m in mentions { #expect(error.message.contains(m), "\(error.message) lacks \(m)") }
            }
        }
        #expect(throws: AuthError.self) { try FlyteConfig.parseYAML([0x61, 0x3a, 0xff], path: "bad.yaml") }
    }

    @Test func recursiveAliasesDoNotRecurseForever() {
        #expect(throws: AuthError.self) { try yaml("a: &x\n  b: *x\n") }
    }

    /// Found by the config-yaml fuzz target (Fuzz/corpus/config-yaml/billion-laughs):
    /// 667 bytes of aliases nested inside aliases expand to 9^12 nodes and hung the caller.
    /// Six levels (9^6 nodes) are enough to exceed the limit and were accepted before it.
    @Test func aliasesThatExpandExponentiallyAreRefused() {
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for i in 1..<6 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        lines.append("admin:\n  scopes: *a5")
        do {
            _ = try yaml(lines.joined(separator: "\n") + "\n")
            Issue.record("accepted")
        } catch {
            #expect(
                error.kind == .config && error.message.contains("config.yaml:") && error.message.contains("more than 100000 nodes"),
                "\(error.message)")
        }
        // A document that uses aliases modestly still loads.
        let layer = try? yaml("s: &s [all, offline]\nadmin:\n  scopes: *s\n")
        #expect(layer?["scopes"]?.value == ["all", "offline"])
    }

    @Test func goDurations() {
        #expect(GoDuration.seconds("2m") == 120 && GoDuration.seconds("1h30m") == 5400 && GoDuration.seconds("2m0s") == 120)
        #expect(GoDuration.seconds("500ms") == 0.5 && GoDuration.seconds("45") == 45)
        #expect(GoDuration.seconds("soon") == nil && GoDuration.seconds("5x") == nil && GoDuration.seconds("") == nil)
    }

    @Test func rfc3339RoundTrips() {
        // Vectors checked with `date -u -d @1795000000 +%Y-%m-%dT%H:%M:%SZ`.
        #expect(RFC3339.format(0) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.format(1_795_000_000) == "2026-11-18T11:06:40Z")
        #expect(RFC3339.parse("2026-11-18T11:06:40Z") == 1_795_000_000)
        #expect(RFC3339.parse("2026-11-18T12:06:40.5+01:00") == 1_795_000_000.5)
        #expect(RFC3339.parse("0001-01-01T00:00:00Z")! < 0)
        #expect(RFC3339.parse("yesterday") == nil)
    }

    @Test func outOfRangeTimesNeverTrap() {
        // An IdP's expires_in or a JWT's exp is arbitrary input: Int64(1e300) would trap
        // and take the host process down.
        #expect(Int64(saturatingSeconds: 1e300) == .max && Int64(saturatingSeconds: -1e300) == .min)
        #expect(Int64(saturatingSeconds: .nan) == 0 && Int64(saturatingSeconds: 12.9) == 12)
        #expect(Int64(saturatingSeconds: .infinity) == .max)
        #expect(RFC3339.format(1e300) == "9999-12-31T23:59:59Z")
        #expect(RFC3339.format(-1e300) == "0001-01-01T00:00:00Z")
    }
}

@Suite struct CacheLayoutTests {
    let endpoint = try! FlyteEndpoint("dns:///Flyte.Example.com:443", insecure: false)

    @Test func keyDerivationIsTheDocumentedContract() {
        let key = CacheKey(endpoint: endpoint, clientID: "flytectl")
        #expect(key.item == KeyringItem(service: "flyteauth:flyte.example.com:443", username: "flytectl"))
        #expect(key.fileKey == "flyteauth:flyte.example.com:443 flytectl")
    }

    @Test func eachLayoutRoundTrips() throws {
        let token = jwt(#"{"exp":2000000000,"iat":1999999000}"#)
        let c = Credentials(accessToken: token, refreshToken: "r", idToken: "i", expiresAt: 2_000_000_000, obtainedAt: 1_999_999_000)
        for layout in ForeignLayout.allCases {
            var secrets: [KeyringItem: String] = [:]
            for (item, secret) in layout.encode(c, endpoint: endpoint, now: 1_999_999_500) { secrets[item] = secret }
            let back = try #require(layout.decode(secrets, endpoint: endpoint, now: 0))
            #expect(back.accessToken == token && back.refreshToken == "r" && back.expiresAt == 2_000_000_000, "\(layout)")
            #expect(back.obtainedAt == 1_999_999_000, "iat stands in for the issue time")
        }
        #expect(ForeignLayout.flytekit.items(for: endpoint)[0] == KeyringItem(service: "Flyte.Example.com:443", username: "access_token"))
        #expect(ForeignLayout.flytectl.items(for: endpoint)[0].username == "dns:///Flyte.Example.com:443:flytectl-user")
        let canonical = CanonicalItem.encode(c, key: CacheKey(endpoint: endpoint, clientID: "x"), tokenEndpoint: "https://idp/token")
        #expect(CanonicalItem.decode(canonical) == c)
    }

    @Test func garbageItemsReadAsMissing() {
        #expect(CanonicalItem.decode("not json") == nil && CanonicalItem.decode("{}") == nil)
        let item = ForeignLayout.flyteSDK.items(for: endpoint)[0]
        #expect(ForeignLayout.flyteSDK.decode([item: "[1]"], endpoint: endpoint, now: 0) == nil)
    }
}

@Suite struct KernelKeyringSettingTests {
    @Test func settingFlyteConfigKeyAndEnvironment() throws {
        #expect(try Settings.parse(json: Array(#"{"kernel_keyring":"Session"}"#.utf8)).kernelKeyring == .session)
        #expect(try Settings.parse(json: Array("{}".utf8)).kernelKeyring == nil)
        let file = try FlyteConfig.parseYAML(Array("admin:\n  kernelKeyring: off\n".utf8), path: "config.yaml")
        let r = try ResolvedSettings.merge(
            file: file, environment: try FlyteConfig.environmentLayer(["FLYTEAUTH_KERNEL_KEYRING": "user"]),
            overrides: [:], configFile: nil, secretAvailable: { _ in true })
        #expect(r.settings.kernelKeyring == .user, "the environment wins over the file")
        #expect(r.sources["kernel_keyring"]?.source == "env FLYTEAUTH_KERNEL_KEYRING")
        let f = try ResolvedSettings.merge(file: file, environment: [:], overrides: [:], configFile: nil, secretAvailable: { _ in true })
        #expect(f.settings.kernelKeyring == .off)
    }

    @Test func unknownValuesAreNamed() {
        do {
            _ = try Settings.parse(json: Array(#"{"kernel_keyring":"thread"}"#.utf8))
            Issue.record("accepted an unknown keyring")
        } catch {
            #expect(error.message.contains("kernel_keyring") && error.message.contains("persistent, user, session, off"))
        }
        #expect(throws: AuthError.self) { try Settings.parse(json: Array(#"{"kernel_keyring":true}"#.utf8)) }
    }

    @Test func defaultIsPersistentAndTheEnvironmentAppliesWhenTheSettingIsAbsent() {
        #expect(KernelKeyringMode.effective(nil, environment: nil) == .persistent)
        #expect(KernelKeyringMode.effective(nil, environment: "session") == .session)
        #expect(KernelKeyringMode.effective(.user, environment: "off") == .user, "the setting wins")
        #expect(KernelKeyringMode.effective(nil, environment: "bogus") == .off, "never a keyring nobody asked for")
    }
}

@Suite struct ConfigDisplayTests {
    @Test func aProxyPasswordIsNeverDisplayed() throws {
        let layer: ConfigLayer = [
            "http_proxy_url": ConfigValue("http://alice:s3cret@proxy.example:3128", source: "config.yaml:7"),
            "endpoint": ConfigValue("flyte.example", source: "config.yaml:2"),
        ]
        let r = try ResolvedSettings.merge(
            file: layer, environment: [:], overrides: [:], configFile: nil,
            secretAvailable: { _ in false })
        let text = r.description.serialized
        #expect(!text.contains("s3cret") && !text.contains("alice"))
        #expect(text.contains("http://<credentials>@proxy.example:3128"))
    }

    @Test func urlsWithoutUserInfoAreShownAsTheyAre() {
        #expect(ResolvedSettings.withoutCredentials("http://proxy:3128") == "http://proxy:3128")
        #expect(ResolvedSettings.withoutCredentials("http://proxy:3128/a@b") == "http://proxy:3128/a@b")
        #expect(ResolvedSettings.withoutCredentials("u:p@proxy:1") == "<credentials>@proxy:1")
    }
}
