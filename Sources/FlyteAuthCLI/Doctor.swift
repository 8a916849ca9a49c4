import ArgumentParser
import FlyteAuth
import FlyteAuthCore
import Glibc

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check each step a call takes, in order, and say what to fix. Never prints a secret.",
        discussion: """
            Checks: the configuration in effect (each key with its file:line), the endpoint's DNS, TCP and TLS \
            (chain, expiry, host name, CA bundle), both Flyte discovery documents, the identity provider's \
            metadata and each endpoint the configured flow needs, the clock against the servers' Date headers, \
            each token cache tier, which tools' keyring layouts hold a login for the endpoint, and whether a \
            token is at hand and for how long. Never starts a login. Exits 0 only when a call would work; \
            otherwise with the status of the first failed check (see EXIT STATUS; clock skew is 1).
            """)

    @OptionGroup var common: CommonOptions

    @Flag(help: "Print JSON: {ok, exit_status, checks: [{name, status, summary, details, fix}]}.")
    var json = false

    func run() throws {
        let report = DoctorReport()
        DoctorRun(common: common, report: report).run()
        if json { out(report.json.serialized) } else { report.print() }
        let code = report.exitStatus
        if code != 0 { throw ExitCode(code) }
    }
}

/// The checks' results, in order.
final class DoctorReport {
    enum Outcome: String { case ok, warn, fail, skip, info }

    struct Check {
        var name: String
        var outcome: Outcome
        var summary: String
        var details: [String] = []
        var fix: String?
        /// For a failure: which exit status it means.
        var kind: ErrorKind?
    }

    private(set) var checks: [Check] = []

    func add(_ c: Check) { checks.append(c) }

    func ok(_ name: String, _ summary: String, _ details: [String] = []) {
        add(Check(name: name, outcome: .ok, summary: summary, details: details))
    }

    func fail(_ name: String, _ summary: String, fix: String?, kind: ErrorKind, _ details: [String] = []) {
        add(Check(name: name, outcome: .fail, summary: summary, details: details, fix: fix, kind: kind))
    }

    var exitStatus: Int32 {
        guard let first = checks.first(where: { $0.outcome == .fail }) else { return 0 }
        return ExitStatus.code(for: AuthError(first.kind ?? .internal, ""))
    }

    var json: JSONValue {
        .object([
            "ok": .bool(exitStatus == 0),
            "exit_status": .number(Double(exitStatus)),
            "checks": .array(checks.map { c in
                var o: [String: JSONValue] = ["name": .string(c.name), "status": .string(c.outcome.rawValue),
                                              "summary": .string(c.summary), "details": .array(c.details.map(JSONValue.string))]
                o["fix"] = c.fix.map(JSONValue.string) ?? .null
                return .object(o)
            }),
        ])
    }

    func print() {
        for c in checks {
            let tag = ["ok": " ok ", "warn": "warn", "fail": "FAIL", "skip": "skip", "info": "info"][c.outcome.rawValue]!
            out("[\(tag)] \(c.name.padding(18))\(c.summary)")
            for d in c.details { out("       " + String(repeating: " ", count: 19) + d) }
            if let fix = c.fix { out("       " + String(repeating: " ", count: 19) + "fix: " + fix) }
        }
        let code = exitStatus
        out(code == 0 ? "\nA call would work." : "\nA call would fail (exit status \(code)): fix the first FAIL above.")
    }
}

/// The checks, run in order; later ones are skipped when what they need failed.
struct DoctorRun {
    let common: CommonOptions
    let report: DoctorReport

    /// Date headers seen, with the local time the request was sent and answered.
    private final class Clocks { var samples: [(server: String, date: Double, sent: Double, received: Double)] = [] }
    private let clocks = Clocks()

    func run() {
        guard let (settings, client) = configuration() else { return }
        guard let endpoint = client.endpoint else {
            report.add(.init(name: "endpoint", outcome: .info, summary: "no endpoint: only the token URL is used (no discovery)"))
            DoctorIdentity(report: report).run(settings: settings, client: client,
                                               parameters: AuthParameters(settings: settings, metadata: nil, clientConfig: nil))
            cacheAndToken(settings: settings, client: client, parameters: AuthParameters(settings: settings, metadata: nil, clientConfig: nil),
                          reachable: true)
            return
        }
        let reachable = network(endpoint: endpoint, settings: settings)
        var parameters = AuthParameters(settings: settings, metadata: nil, clientConfig: nil)
        if reachable {
            let transport = CurlTransport(settings: settings)
            let (metadata, clientConfig) = discovery(endpoint: endpoint, settings: settings, transport: transport)
            parameters = AuthParameters(settings: settings, metadata: metadata, clientConfig: clientConfig)
            identityProvider(metadata: metadata, settings: settings, transport: transport)
            flowEndpoints(settings: settings, client: client, parameters: parameters, transport: transport)
            DoctorIdentity(report: report).run(settings: settings, client: client, parameters: parameters)
            clock()
        } else {
            for name in ["discovery", "identity provider", "flow endpoints", "clock"] {
                report.add(.init(name: name, outcome: .skip, summary: "skipped: the connection to the endpoint failed (above)"))
            }
        }
        cacheAndToken(settings: settings, client: client, parameters: parameters, reachable: reachable)
    }

    // MARK: - Configuration

    private func configuration() -> (Settings, AuthClient)? {
        let resolved: ResolvedConfig
        do throws(AuthError) { resolved = try common.resolve() } catch {
            report.fail("config", error.message, fix: ExitStatus.fix(for: error)
                        ?? "correct the value the message names (`flyteauth config` shows every key and where it came from)", kind: .config)
            return nil
        }
        let d = resolved.description.objectValue ?? [:]
        let file = d["config_file"]?.stringValue
        var details: [String] = []
        for (key, v) in (d["settings"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            var value = v["value"]?.serialized ?? "?"
            if key == "http_proxy_url", let url = v["value"]?.stringValue { value = JSONValue.string(withoutCredentials(url)).serialized }
            details.append("\(key) = \(value.count > 80 ? String(value.prefix(77)) + "..." : value)  (\(v["source"]?.stringValue ?? "?"))")
        }
        let summary = file.map { "\($0), auth type \(resolved.settings.authType.rawValue)" }
            ?? "no configuration file (searched $FLYTECTL_CONFIG, ./flytekit.config, ~/.flyte/config, ~/.flyte/config.yaml)"
        do throws(AuthError) {
            let settings = try common.settings(login: .never)
            let client = try EngineFactory.makeClient(settings: settings)
            report.ok("config", summary, details)
            return (settings, client)
        } catch {
            report.fail("config", error.message, fix: ExitStatus.fix(for: error), kind: error.kind, details)
            return nil
        }
    }

    // MARK: - DNS, TCP, TLS

    private func network(endpoint: FlyteEndpoint, settings: Settings) -> Bool {
        let https = endpoint.baseURL.hasPrefix("https://")
        let port = portOf(endpoint) ?? (https ? 443 : 80)
        if let proxy = settings.httpProxyURL.nonEmpty {
            report.add(.init(name: "dns", outcome: .info, summary: "through the proxy \(withoutCredentials(proxy)): the proxy resolves \(endpoint.host)"))
        } else {
            let addresses: [String]
            switch NetworkProbe.resolve(endpoint.host, port: port) {
            case .failure(let why):
                report.fail("dns", "\(endpoint.host) does not resolve: \(why)",
                            fix: "check the host name in admin.endpoint (or --endpoint, FLYTE_PLATFORM_URL) and this machine's DNS (/etc/resolv.conf)",
                            kind: .network)
                return false
            case .success(let list):
                addresses = list
                report.ok("dns", "\(endpoint.host) is \(list.joined(separator: ", "))")
            }
            var failures: [String] = []
            var connected = false
            for address in addresses {
                switch NetworkProbe.connect(address, port: port, timeout: min(settings.connectTimeoutSeconds, settings.httpTimeoutSeconds)) {
                case .success(let ms):
                    report.ok("tcp", "connected to \(address) port \(port) in \(ms) ms")
                    connected = true
                case .failure(let why):
                    failures.append("\(address) port \(port): \(why)")
                }
                if connected { break }
            }
            if !connected {
                report.fail("tcp", failures.joined(separator: "; "),
                            fix: "nothing accepts connections there: check that Flyte runs at \(endpoint.hostAndPort) and the port in admin.endpoint (a plain-HTTP endpoint also needs admin.insecure: true)",
                            kind: .network)
                return false
            }
        }
        guard https else {
            report.add(.init(name: "tls", outcome: .info, summary: "plain HTTP (admin.insecure: true): no TLS, tokens travel unencrypted"))
            return true
        }
        return tls(endpoint: endpoint, settings: settings)
    }

    private func tls(endpoint: FlyteEndpoint, settings: Settings) -> Bool {
        let r: TLSProbe.Report
        do throws(AuthError) { r = try TLSProbe.probe(baseURL: endpoint.baseURL, settings: settings) } catch {
            report.fail("tls", error.message, fix: ExitStatus.fix(for: error), kind: error.kind)
            return false
        }
        var details: [String] = []
        let now = Clock.now()
        for (i, c) in r.chain.enumerated() {
            var expiry = c.expireText
            if let e = c.expiresAt { expiry += e > now ? " (in \(Int(saturatingSeconds: (e - now) / 86400)) days)" : " (EXPIRED)" }
            details.append("certificate \(i): subject \(c.subject); issuer \(c.issuer); expires \(expiry)")
        }
        details.append("CA bundle: " + (r.caFile ?? "libcurl's default") + (r.caPath.map { ", CA directory \($0)" } ?? "")
                       + (settings.caCertFilePath.nonEmpty != nil ? " (admin.caCertFilePath)" : ""))
        if let error = r.verifyError {
            let m = error.lowercased()
            let fix: String
            if m.contains("subject name") || m.contains("host name") || m.contains("hostname") {
                fix = "the certificate does not name \(endpoint.host): use a host name it was issued for in admin.endpoint, or reissue it with that name"
            } else if m.contains("expired") {
                fix = "the server's certificate has expired: renew it (the dates are above)"
            } else {
                fix = "the chain does not lead to a CA this machine trusts: set admin.caCertFilePath to the CA certificate that signed it (or install it with update-ca-certificates); admin.insecureSkipVerify only for testing"
            }
            report.fail("tls", "the certificate of \(endpoint.hostAndPort) is not accepted: \(error)", fix: fix, kind: .network, details)
            return false
        }
        if settings.insecureSkipVerify {
            report.add(.init(name: "tls", outcome: .warn, summary: "verification is off (admin.insecureSkipVerify): anyone on the path can read the tokens",
                             details: details, fix: "remove insecureSkipVerify and set admin.caCertFilePath to the CA that signed the server's certificate"))
            return true
        }
        if let leaf = r.chain.first?.expiresAt, leaf - now < 14 * 86400 {
            report.add(.init(name: "tls", outcome: .warn, summary: "verified, but the certificate expires in \(Int(saturatingSeconds: (leaf - now) / 86400)) days",
                             details: details, fix: "renew the server's certificate"))
            return true
        }
        report.ok("tls", "verified: chain trusted, host name \(endpoint.host) matches", details)
        return true
    }

    private func portOf(_ endpoint: FlyteEndpoint) -> Int? {
        let hp = endpoint.hostAndPort
        let afterHost = hp.hasPrefix("[") ? hp[(hp.firstIndex(of: "]") ?? hp.startIndex)...].dropFirst() : hp.drop { $0 != ":" }
        return afterHost.hasPrefix(":") ? Int(afterHost.dropFirst()) : nil
    }

    // MARK: - Discovery and the identity provider

    private func get(_ request: HTTPRequest, _ transport: CurlTransport, server: String) throws(AuthError) -> HTTPResponse {
        let sent = Clock.now()
        let response = try transport.send(request, cancel: nil)
        if let date = response.headers["date"].flatMap(NetworkProbe.httpDate) {
            clocks.samples.append((server, date, sent, Clock.now()))
        }
        return response
    }

    private func discovery(endpoint: FlyteEndpoint, settings: Settings, transport: CurlTransport) -> (OAuth2Metadata?, PublicClientConfig?) {
        let needed = AuthParameters.needsDiscovery(settings)
        func fetch<T>(_ what: String, _ flyte1: String, _ flyte2: String, _ decode: (JSONValue) throws(AuthError) -> T) -> T? {
            var tried: [String] = []
            for (method, path) in [(HTTPRequest.Method.get, flyte1), (.post, flyte2)] {
                var r = HTTPRequest(method: method, url: endpoint.baseURL + path, headers: [("Accept", "application/json")])
                if method == .post { r.headers.append(("Content-Type", "application/json")); r.body = Array("{}".utf8) }
                do throws(AuthError) {
                    let response = try get(r, transport, server: endpoint.hostAndPort)
                    guard response.isSuccess else { tried.append("\(method.rawValue) \(path): HTTP \(response.status)"); continue }
                    let value = try decode(try JSONValue.parse(response.body, what: what))
                    report.ok("discovery", "\(what): \(method.rawValue) \(path) answered", tried.map { "first tried \($0)" })
                    return value
                } catch {
                    tried.append("\(method.rawValue) \(path): \(error.message)")
                    if error.kind == .network || error.kind == .timeout { break }
                }
            }
            let summary = "\(endpoint.baseURL) serves no \(what)"
            let fix = "point admin.endpoint (or --endpoint) at the Flyte admin endpoint (the address flytectl uses), with authentication enabled"
            if needed {
                report.fail("discovery", summary, fix: fix, kind: .protocol, tried)
            } else {
                report.add(.init(name: "discovery", outcome: .warn, summary: summary + " (not needed: the settings give what it would)", details: tried, fix: fix))
            }
            return nil
        }
        let metadata = fetch("OAuth2 metadata", "/.well-known/oauth-authorization-server",
                             "/flyteidl2.auth.AuthMetadataService/GetOAuth2Metadata", OAuth2Metadata.decode)
        let clientConfig = fetch("public client config", "/config/v1/flyte_client",
                                 "/flyteidl2.auth.AuthMetadataService/GetPublicClientConfig", PublicClientConfig.decode)
        return (metadata, clientConfig)
    }

    private func identityProvider(metadata: OAuth2Metadata?, settings: Settings, transport: CurlTransport) {
        guard let issuer = metadata?.issuer else {
            report.add(.init(name: "identity provider", outcome: metadata == nil ? .skip : .warn,
                             summary: metadata == nil ? "skipped: no OAuth2 metadata" : "the OAuth2 metadata names no issuer"))
            return
        }
        // OIDC puts the metadata under the issuer; some IdPs (glewlwyd, Keycloak behind a
        // path) under the directory of their endpoints instead.
        var candidates: [String] = []
        let trimmed = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        for base in [trimmed] + [metadata?.authorizationEndpoint, metadata?.deviceAuthorizationEndpoint].compactMap({ $0 }).map(directory) {
            for path in ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"] where !candidates.contains(base + path) {
                candidates.append(base + path)
            }
        }
        var tried: [String] = []
        for url in candidates {
            do throws(AuthError) {
                let response = try get(HTTPRequest(method: .get, url: url, headers: [("Accept", "application/json")]), transport,
                                       server: "the identity provider")
                guard response.isSuccess, let idp = try? OAuth2Metadata.decode(try JSONValue.parse(response.body, what: "IdP metadata")) else {
                    tried.append("\(url): HTTP \(response.status)")
                    continue
                }
                var details = ["issuer \(issuer)"]
                if let t = idp.tokenEndpoint { details.append("token endpoint \(t)") }
                if let d = idp.deviceAuthorizationEndpoint { details.append("device authorization endpoint \(d)") }
                if let i = idp.issuer, i != issuer { details.append("its issuer is \(i), Flyte's metadata says \(issuer): tokens may be refused") }
                report.ok("identity provider", "metadata at \(url)", details)
                return
            } catch {
                tried.append("\(url): \(error.message)")
                if error.kind == .network || error.kind == .timeout { break }
            }
        }
        report.add(.init(name: "identity provider", outcome: .warn, summary: "the issuer \(issuer) publishes no metadata",
                         details: tried, fix: "not needed while Flyte's metadata names every endpoint; check the IdP's issuer URL if logins fail"))
    }

    /// "https://idp/a/b/auth" -> "https://idp/a/b".
    private func directory(_ url: String) -> String {
        let bare = withoutQuery(url)
        guard let slash = bare.lastIndex(of: "/"), bare[..<slash].hasSuffix(":/") == false else { return bare }
        return String(bare[..<slash])
    }

    private func flowEndpoints(settings: Settings, client: AuthClient, parameters p: AuthParameters, transport: CurlTransport) {
        let name = "flow endpoints"
        let flow = settings.authType.rawValue
        var needs: [(String, String?, String)] = []  // (what, value, fix when missing)
        switch settings.authType {
        case .pkce:
            needs = [("authorization_endpoint", p.authorizationEndpoint, "the server's metadata has no authorization_endpoint: set flyteauth.authorization_endpoint, or use DeviceFlow"),
                     ("token_endpoint", p.tokenEndpoint, "set admin.tokenUrl"),
                     ("client_id", p.clientID, "set admin.clientId (the server's public client config has none)")]
        case .deviceFlow:
            needs = [("device_authorization_endpoint", p.deviceAuthorizationEndpoint,
                      "the server offers no device login (no device_authorization_endpoint in its OAuth2 metadata): set flyteauth.device_authorization_endpoint, or use authType: Pkce"),
                     ("token_endpoint", p.tokenEndpoint, "set admin.tokenUrl"),
                     ("client_id", p.clientID, "set admin.clientId (the server's public client config has none)")]
        case .clientSecret, .apiKey:
            needs = [("token_endpoint", p.tokenEndpoint, "set admin.tokenUrl"),
                     ("client_id", client.cacheClientID, "set admin.clientId")]
        case .tokenExchange:
            needs = [("token_endpoint", p.tokenEndpoint, "set admin.tokenUrl")]
        case .externalCommand:
            let exe = settings.command?.first ?? ""
            if exe.contains("/") ? access(exe, X_OK) == 0 : onPath(exe) {
                report.ok(name, "\(flow): the command \(exe) is executable")
            } else {
                report.fail(name, "\(flow): the command \"\(exe)\" is not an executable file or on PATH",
                            fix: "correct admin.command, or install the program", kind: .command)
            }
            return
        case .passthrough:
            report.add(.init(name: name, outcome: .info, summary: "\(flow): the host supplies the token"))
            return
        }
        var details: [String] = []
        for (what, value, fix) in needs {
            guard let value else {
                report.fail(name, "\(flow) needs \(what), and neither the settings nor the server give one", fix: fix,
                            kind: what == "client_id" ? .config : .unsupported, details)
                return
            }
            guard value.hasPrefix("http://") || value.hasPrefix("https://") else { details.append("\(what): \(value)"); continue }
            do throws(AuthError) {
                // Any HTTP answer proves the host serves; only the flow's own request can say more.
                let r = try get(HTTPRequest(method: .get, url: value, headers: [("Accept", "application/json")]), transport, server: "the identity provider")
                details.append("\(what): \(withoutQuery(value)) answers (HTTP \(r.status) to a GET)")
            } catch {
                report.fail(name, "\(what) \(withoutQuery(value)) does not answer: \(error.message)",
                            fix: ExitStatus.fix(for: error) ?? "check the identity provider is running and reachable from here", kind: error.kind, details)
                return
            }
        }
        if settings.authType == .pkce { details.append("redirect_uri: \(p.redirectURI)") }
        if settings.authType == .clientSecret { details.append("client secret: " + (settings.clientSecret.nonEmpty != nil ? "set (literal)" : settings.clientSecretLocation.map { "read from \($0)" } ?? "from \(settings.clientSecretEnvVar ?? "?")")) }
        report.ok(name, "\(flow) has everything it needs", details)
    }

    /// A URL as shown: no query (a state or code), no user:password.
    private func withoutQuery(_ url: String) -> String { String(url.prefix { $0 != "?" && $0 != "#" }) }

    private func withoutCredentials(_ url: String) -> String { ResolvedSettings.withoutCredentials(url) }

    private func onPath(_ exe: String) -> Bool {
        guard !exe.isEmpty else { return false }
        return (Environment.process["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains { access("\($0)/\(exe)", X_OK) == 0 }
    }

    // MARK: - Clock

    private func clock() {
        guard !clocks.samples.isEmpty else {
            report.add(.init(name: "clock", outcome: .skip, summary: "no server sent a Date header"))
            return
        }
        // The Date header has 1 s resolution and was made between sending and receiving.
        var worst: (server: String, skew: Double)?
        var details: [String] = []
        var seen: Set<String> = []
        for s in clocks.samples where !seen.contains(s.server) {
            seen.insert(s.server)
            let local = (s.sent + s.received) / 2
            var skew = s.date - local
            let slack = (s.received - s.sent) / 2 + 1
            skew = abs(skew) <= slack ? 0 : (skew > 0 ? skew - slack : skew + slack)
            details.append("\(s.server): \(describe(skew))")
            if worst == nil || abs(skew) > abs(worst!.skew) { worst = (s.server, skew) }
        }
        let w = worst!
        let fix = "set the time right on this machine (timedatectl set-ntp true, or chrony/ntpd), or on the server if it is the one off"
        if abs(w.skew) > 60 {
            report.fail("clock", "this machine's clock and \(w.server)'s differ by \(Int(abs(w.skew))) s: tokens can look expired or not yet valid",
                        fix: fix, kind: .internal, details)
        } else if abs(w.skew) > 10 {
            report.add(.init(name: "clock", outcome: .warn, summary: "\(Int(abs(w.skew))) s of skew against \(w.server)", details: details, fix: fix))
        } else {
            report.ok("clock", "in step with the servers (within a second or two)", details)
        }
    }

    private func duration(_ seconds: Double) -> String {
        let s = max(0, Int(saturatingSeconds: seconds))
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }

    private func describe(_ skew: Double) -> String {
        skew == 0 ? "no skew" : "the server is \(Int(abs(skew))) s \(skew > 0 ? "ahead" : "behind")"
    }

    // MARK: - Cache tiers, stored logins, the token

    private func cacheAndToken(settings: Settings, client: AuthClient, parameters: AuthParameters, reachable: Bool) {
        // The token first (it opens the cache, which the status then describes); shown last.
        var token: DoctorReport.Check
        if !reachable {
            token = .init(name: "token", outcome: .skip, summary: "skipped: the connection to the endpoint failed (above)")
        } else {
            do throws(AuthError) {
                let s = try client.headers()
                let o = client.status().objectValue ?? [:]
                var summary = "a call would work: "
                if let e = s.expiresAt {
                    summary += "the token is valid for \(duration(e - Clock.now())) (until \(RFC3339.format(e)))"
                } else {
                    summary += "the token has no known expiry"
                }
                var details = ["from \(o["token_source"]?.stringValue ?? "?"); header \(s.headers[0].key)"]
                if let tier = o["token_tier"], tier != .null { details.append("cache tier in use: \(tier.stringValue ?? tier.serialized)") }
                if let r = o["has_refresh_token"]?.boolValue { details.append("refresh token: \(r ? "yes" : "no")") }
                if let who = Identity.describe(client.status()) { details.append("identity: \(who)") }
                token = .init(name: "token", outcome: .ok, summary: summary, details: details)
            } catch {
                token = .init(name: "token", outcome: .fail,
                              summary: error.kind == .loginRequired ? "no usable token is cached for this endpoint" : error.message,
                              details: error.kind == .loginRequired ? [error.message] : [],
                              fix: error.kind == .loginRequired ? "run `flyteauth login` (at a terminal)" : ExitStatus.fix(for: error),
                              kind: error.kind)
            }
        }

        // The tiers the engine reports (`cache_tiers` in its status, where it has them),
        // else the Secret Service and the file cache. The Secret Service is always probed
        // here too, because only this probe tells "locked" from "not running".
        let status = client.status().objectValue ?? [:]
        let secretService = settings.keyring ? CacheInspection.secretService(timeout: settings.keyringTimeoutSeconds)
            : CacheInspection.Tier(name: "Secret Service", available: false, detail: "off (keyring disabled in the configuration)")
        var tiers: [(tier: CacheInspection.Tier, extra: [String])] = []
        if let reported = status["cache_tiers"]?.arrayValue {
            for t in reported {
                let tier = CacheInspection.Tier(name: t["name"]?.stringValue ?? "?", available: t["available"]?.boolValue ?? false,
                                                detail: t["detail"]?.stringValue ?? "")
                if tier.name.lowercased().contains("secret") {
                    tiers.append((secretService, tier.detail.isEmpty ? [] : [tier.detail]))
                } else {
                    tiers.append((tier, []))
                }
            }
            if !tiers.contains(where: { $0.tier.name == secretService.name }) { tiers.insert((secretService, []), at: 0) }
        } else {
            tiers = [(secretService, []), (CacheInspection.fileCache(settings: settings), [])]
        }
        for (t, extra) in tiers {
            report.add(.init(name: "cache tier", outcome: t.available ? .ok : (t.name == "file cache" ? .info : .warn),
                             summary: t.detail.isEmpty ? "\(t.name): \(t.available ? "available" : "not available")" : "\(t.name): \(t.detail)",
                             details: extra))
        }
        if !tiers.contains(where: { $0.tier.available }) {
            report.add(.init(name: "cache tier", outcome: .warn, summary: "no cache tier is available: each process logs in again",
                             fix: "start a Secret Service (gnome-keyring) in the session, or opt in to the file cache (FLYTEAUTH_FILE_CACHE=1)"))
        }

        if let endpoint = client.endpoint {
            let clientID = parameters.clientID ?? client.cacheClientID
            var details: [String] = []
            var found: [CacheInspection.StoredLogin] = []
            var read = ["flyteauth"] + ForeignLayout.allCases.map(\.rawValue)
            if settings.keyring {
                do throws(AuthError) {
                    found += try CacheInspection.keyringLogins(endpoint: endpoint, clientID: clientID, timeout: settings.keyringTimeoutSeconds)
                } catch {
                    details.append("keyring not readable: \(error.message)")
                    read = []
                }
            }
            if let clientID, CacheInspection.fileCache(settings: settings).available {
                do throws(AuthError) {
                    if let l = try CacheInspection.fileLogin(settings: settings, endpoint: endpoint, clientID: clientID) { found.append(l) }
                } catch {
                    details.append("file cache not readable: \(error.message)")
                }
            }
            let now = Clock.now()
            for l in found {
                var line = l.layout == "flyteauth" ? "flyteauth (service flyteauth:\(endpoint.hostAndPort.lowercased()), username \(clientID ?? "?"))"
                    : l.layout == "file" ? "file cache" : "\(l.layout)'s layout"
                if let e = l.expiresAt {
                    line += e > now ? ": access token valid for \(duration(e - now))" : ": access token expired"
                }
                line += l.hasRefreshToken ? ", refresh token" : ", no refresh token"
                details.append(line)
            }
            let missing = (settings.keyring ? read : []).filter { name in !found.contains { $0.layout == name } }
            if !missing.isEmpty { details.append("no login in: " + missing.joined(separator: ", ")) }
            report.add(.init(name: "stored logins", outcome: found.isEmpty ? .info : .ok,
                             summary: found.isEmpty ? "no tool holds a login for \(endpoint.hostAndPort)"
                                 : "\(found.count) login(s) for \(endpoint.hostAndPort)", details: details))
        }
        report.add(token)
    }
}
