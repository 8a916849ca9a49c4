import FlyteAuth
import FlyteAuthCore

/// One step doctor checks. A check adds its results to the context's report; it runs
/// only when what it `needs` worked (else it is shown as skipped).
protocol DoctorCheck: Sendable {
    /// The names it reports under, for the "skipped" lines.
    var names: [String] { get }
    var needs: DoctorNeed { get }
    func run(_ context: DoctorContext)
}

enum DoctorNeed {
    /// A client made from the configuration.
    case client
    /// The endpoint answered DNS, TCP and TLS.
    case connection
}

/// The checks, in the order a call takes its steps. A new check goes where its step
/// comes: key files and external token sources before the cache, say.
struct DoctorRun {
    let common: CommonOptions
    let report: DoctorReport

    static let checks: [any DoctorCheck] = [
        LibrariesCheck(),
        ConnectionCheck(),
        DiscoveryCheck(),
        IdentityProviderCheck(),
        FlowEndpointsCheck(),
        MachineIdentityCheck(),
        ClockCheck(),
        CacheTierCheck(),
        StoredLoginsCheck(),
        TokenCheck(),
    ]

    func run() {
        guard let context = ConfigurationCheck.run(common: common, report: report) else { return }
        for check in Self.checks {
            if check.needs == .connection {
                guard context.endpoint != nil else { continue }  // only the token URL: nothing to connect to
                guard context.reachable else {
                    for name in check.names { report.skip(name, "skipped: the connection to the endpoint failed (above)") }
                    continue
                }
            }
            check.run(context)
        }
    }
}

/// What the checks share: the settings and client, and what earlier checks found.
final class DoctorContext {
    let settings: Settings
    let client: AuthClient
    let report: DoctorReport
    /// The endpoint answered (or there is none to ask: only the token URL is used).
    var reachable: Bool
    var metadata: OAuth2Metadata?
    var clientConfig: PublicClientConfig?
    /// Date headers seen, with the local time each request was sent and answered.
    var clockSamples: [(server: String, date: Double, sent: Double, received: Double)] = []
    /// The token, asked for before the cache is described (it opens the cache); shown last.
    lazy var token: Result<HeaderSnapshot, AuthError> = {
        guard reachable else { return .failure(AuthError(.network, "skipped")) }
        do throws(AuthError) { return .success(try client.headers()) } catch { return .failure(error) }
    }()

    init(settings: Settings, client: AuthClient, report: DoctorReport) {
        self.settings = settings
        self.client = client
        self.report = report
        reachable = client.endpoint == nil
    }

    var endpoint: FlyteEndpoint? { client.endpoint }

    var parameters: AuthParameters { AuthParameters(settings: settings, metadata: metadata, clientConfig: clientConfig) }

    /// Sends `request` through the engine (proxy-authorization where the proxy is), noting
    /// the server's Date header for the clock check.
    func send(_ request: HTTPRequest, server: String) throws(AuthError) -> HTTPResponse {
        let sent = Clock.now()
        let response = try client.sendUnauthenticated(request)
        noteDate(response, server: server, sent: sent, received: Clock.now())
        return response
    }

    func noteDate(_ response: HTTPResponse, server: String, sent: Double, received: Double) {
        if let date = response.headers["date"].flatMap(NetworkProbe.httpDate) {
            clockSamples.append((server, date, sent, received))
        }
    }
}

/// URLs and durations as doctor shows them.
enum DoctorText {
    /// A URL as shown: no query (a state or code), no user:password.
    static func withoutQuery(_ url: String) -> String { String(url.prefix { $0 != "?" && $0 != "#" }) }

    static func withoutCredentials(_ url: String) -> String { ResolvedSettings.withoutCredentials(url) }

    static func duration(_ seconds: Double) -> String {
        let s = max(0, Int(saturatingSeconds: seconds))
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }
}
