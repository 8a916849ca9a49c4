import FlyteAuthCore

/// What a flow may use: the merged parameters, HTTP with the proxy header applied,
/// commands, the person (callbacks), cancellation.
struct FlowContext {
    let settings: Settings
    let parameters: () throws(AuthError) -> AuthParameters
    let send: (HTTPRequest) throws(AuthError) -> HTTPResponse
    let runner: ProcessRunning
    let interaction: Interaction
    let cancel: CancelToken
    let logger: Logger
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

/// RFC 6749 4.4 (also the API key flow, whose key carries id and secret).
struct ClientCredentialsFlow: Flow {
    let clientID: String?
    let clientSecret: String?

    func obtain(_ context: FlowContext) throws(AuthError) -> Credentials {
        guard let clientID = clientID.nonEmpty, let clientSecret = clientSecret.nonEmpty else {
            throw AuthError(.config, "Client ID and Client SECRET both are required. Set \"client_id\" and one of \"client_secret\", \"client_secret_location\" or \"client_secret_env_var\".")
        }
        let p = try context.parameters()
        guard let tokenEndpoint = p.tokenEndpoint else {
            throw AuthError(.unsupported, "the server's OAuth2 metadata has no token_endpoint; set \"token_url\"")
        }
        let request = TokenRequests.clientCredentials(endpoint: tokenEndpoint, clientID: clientID, clientSecret: clientSecret,
                                                      scopes: p.scopes, audience: p.audience)
        let sentAt = Clock.now()
        let response = try context.send(request)
        return try TokenResponse.credentials(from: response, endpoint: tokenEndpoint, now: sentAt)
    }
}

/// Runs the configured command; its trimmed stdout is the token (flytekit's
/// ExternalCommand / external_process).
struct CommandFlow: Flow {
    let command: [String]
    var cached: Bool { false }

    func obtain(_ context: FlowContext) throws(AuthError) -> Credentials {
        let token = try CommandFlow.run(command, context: context, what: "token command")
        return Credentials(accessToken: token, obtainedAt: Clock.now())
    }

    static func run(_ argv: [String], context: FlowContext, what: String) throws(AuthError) -> String {
        let name = SpawnProcessRunner.display(argv)
        let result = try context.runner.run(argv, timeout: context.settings.commandTimeoutSeconds, cancel: context.cancel)
        let stderr = String(decoding: result.stderr.prefix(2000), as: UTF8.self).trimmingSpaces()
        guard result.signal == nil, result.exitStatus == 0 else {
            let how = result.signal.map { "was killed by signal \($0)" } ?? "exited with status \(result.exitStatus)"
            // stdout may be a token printed before a failure: never echo it.
            throw AuthError(.command, "Failed to refresh token with command `\(name)`: it \(how)"
                            + (stderr.isEmpty ? " and printed nothing on stderr" : "; stderr: \(stderr)"))
        }
        guard let text = String(validating: result.stdout, as: UTF8.self) else {
            throw AuthError(.command, "Failed to refresh token with command `\(name)`: its output is not UTF-8 text")
        }
        let token = text.trimmingSpaces()
        guard !token.isEmpty else {
            throw AuthError(.command, "Failed to refresh token with command `\(name)`: it printed no token"
                            + (stderr.isEmpty ? "" : "; stderr: \(stderr)"))
        }
        guard HTTPHeaderName.isSafeValue(token), !token.contains(" ") else {
            throw AuthError(.command, "\(what) `\(name)` printed more than one line or word; expected just the token")
        }
        return token
    }
}

/// The host application supplies the token (flyte-sdk's Passthrough).
struct PassthroughFlow: Flow {
    var cached: Bool { false }
    func obtain(_ context: FlowContext) throws(AuthError) -> Credentials {
        throw AuthError(.loginRequired, "passthrough: no token has been supplied by the application (flyteauth_client_set_token), or it expired or was rejected")
    }
}

/// What both interactive logins check and need before asking a person.
struct InteractiveLogin {
    let parameters: AuthParameters
    let tokenEndpoint: String
    let clientID: String

    /// `what` names the login in messages ("a browser login").
    init(_ context: FlowContext, what: String) throws(AuthError) {
        guard context.settings.interactive else {
            throw AuthError(.loginRequired, "\(what) is needed and interactive login is disabled (\"interactive\": false); run `flyteauth login` first")
        }
        parameters = try context.parameters()
        guard let tokenEndpoint = parameters.tokenEndpoint else {
            throw AuthError(.unsupported, "the server's OAuth2 metadata has no token_endpoint; set \"token_url\"")
        }
        guard let clientID = parameters.clientID else {
            throw AuthError(.config, "no client id: the server's public client config has none; set \"client_id\"")
        }
        self.tokenEndpoint = tokenEndpoint
        self.clientID = clientID
    }
}
