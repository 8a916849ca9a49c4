import FlyteAuthCore

/// What a flow may use: the merged parameters, HTTP with the proxy header applied,
/// commands, the person (callbacks), cancellation, the clock.
struct FlowContext {
    let settings: Settings
    let parameters: () throws(AuthError) -> AuthParameters
    let send: (HTTPRequest) throws(AuthError) -> HTTPResponse
    let runner: ProcessRunning
    let interaction: Interaction
    let cancel: CancelToken
    let logger: Logger
    /// The engine's clock: token lifetimes count from `clock.now()` when a request was sent.
    var clock: EngineClock = SystemClock()
    /// How the client authenticates at the token endpoint; nil or `.none`: a public client.
    var authenticator: ClientAuthenticator? = nil

    /// The authentication for one request to `tokenEndpoint` (a fresh assertion each time).
    func clientAuthentication(clientID: String, tokenEndpoint: String) throws(AuthError) -> ClientAuthentication {
        guard let authenticator, authenticator.isConfidential else { return .none }
        return try authenticator.authentication(clientID: clientID, tokenEndpoint: tokenEndpoint, context: self)
    }
}

/// One way of obtaining credentials from scratch.
protocol Flow: Sendable {
    /// Gets new credentials. Flows that need a person throw `.loginRequired` when
    /// `context.settings.interactive` is false.
    func obtain(_ context: FlowContext) throws(AuthError) -> Credentials
    /// Whether refresh tokens from this flow are used (PKCE, device flow).
    var refreshes: Bool { get }
    /// Whether tokens go to the shared cache (not for command and passthrough tokens,
    /// whose source is their own cache).
    var cached: Bool { get }
}

extension Flow {
    var refreshes: Bool { false }
    var cached: Bool { true }
}
