import FlyteAuthCore

/// Authorization code + PKCE in the browser, with a loopback callback listener.
struct PKCEFlow: Flow {
    var refreshes: Bool { true }

    func obtain(_ context: FlowContext) throws(AuthError) -> Credentials {
        let settings = context.settings
        let login = try InteractiveLogin(context, what: "a browser login")
        let p = login.parameters
        guard let authorizationEndpoint = p.authorizationEndpoint else {
            throw AuthError(.unsupported, "the server's OAuth2 metadata has no authorization_endpoint; set \"authorization_endpoint\"")
        }
        let (tokenEndpoint, clientID) = (login.tokenEndpoint, login.clientID)
        let redirect = try RedirectURI(p.redirectURI)
        let pkce = try PKCELogin(verifierBytes: try SecureRandom.bytes(64), stateBytes: try SecureRandom.bytes(40))
        let outcome = CallbackOutcomeBox()

        // What the pages name: the endpoint as configured, else the sign-in host.
        let shownEndpoint = settings.endpoint.nonEmpty.map { $0.hasPrefix("dns:///") ? String($0.dropFirst(7)) : $0 }
            ?? String(authorizationEndpoint.split(separator: "/").dropFirst().first ?? "the configured server")
        // Bind before the browser opens, so the redirect cannot arrive at nothing.
        let listener = try LoopbackListener(redirect: redirect) { path, parameters in
            switch pkce.interpretCallback(path: path, parameters: parameters, redirect: redirect,
                                          issuer: p.issuer, issuerRequired: p.issuerInAuthorizationResponse) {
            case .notTheCallback:
                return (404, LoginPage.render(title: "Not found", text: "This is the Flyte login callback."))
            case .wrongState:
                return (400, LoginPage.wrongState(endpoint: shownEndpoint))
            case .code(let code):
                outcome.set(.success(code))
                return (200, LoginPage.loggedIn(endpoint: shownEndpoint))
            case .failed(let error):
                outcome.set(.failure(error))
                return (400, LoginPage.failed(error, endpoint: shownEndpoint))
            }
        }
        defer { listener.stop() }

        let url = pkce.authorizeURL(endpoint: authorizationEndpoint, parameters: p, clientID: clientID)
        Browser.open(url, context: context)
        context.interaction.waitNoticeHandler?(Clock.now() + settings.loginTimeoutSeconds)

        let deadline = Clock.monotonic() + settings.loginTimeoutSeconds
        let code: String
        switch outcome.wait(until: deadline, cancel: context.cancel) {
        case .some(.success(let c)): code = c
        case .some(.failure(let e)): throw e
        case .none:
            if context.cancel.isCancelled { throw AuthError(.cancelled, "the browser login was cancelled") }
            throw AuthError(.timeout, "the browser login did not complete within \(CurlTransport.seconds(settings.loginTimeoutSeconds)) (login_timeout_seconds); no callback reached \(redirect.uri)")
        }
        listener.stop()
        let request = TokenRequests.authorizationCode(endpoint: tokenEndpoint, code: code, redirectURI: p.redirectURI,
                                                      clientID: clientID, codeVerifier: pkce.codeVerifier,
                                                      auth: try context.clientAuthentication(clientID: clientID, tokenEndpoint: tokenEndpoint))
        let sentAt = context.clock.now()
        let response = try context.send(request)
        return try TokenResponse.credentials(from: response, endpoint: tokenEndpoint, now: sentAt)
    }
}

/// Where the listener's threads hand the result to the waiting login.
final class CallbackOutcomeBox: Sendable {
    private let result = Guarded<Result<String, AuthError>?>(nil)

    func set(_ r: Result<String, AuthError>) {
        result.update { if $0 == nil { $0 = r } }  // the first decisive callback wins
    }

    /// nil when `deadline` passed or the login was cancelled (checked every 0.1 s).
    func wait(until deadline: Double, cancel: CancelToken) -> Result<String, AuthError>? {
        while true {
            let slice = min(deadline, Clock.monotonic() + 0.1)
            if let r = result.wait(until: slice, { $0 }) { return r }
            if cancel.isCancelled || Clock.monotonic() >= deadline { return result.withLock { $0 } }
        }
    }
}

/// Shows the authorization URL: the host's callback if it handles it, else stderr and,
/// where a display is available, $BROWSER or xdg-open.
enum Browser {
    static func open(_ url: String, context: FlowContext) {
        if let opener = context.interaction.browserOpener, opener(url) { return }
        // flytekit's words; the URL on a line of its own so a terminal keeps it clickable.
        Logger.writeStderr("Please open the following link in your browser to authenticate:\n\n    \(url)\n\n")
        let hasDisplay = Environment.process["DISPLAY"] != nil || Environment.process["WAYLAND_DISPLAY"] != nil
        var argv: [String]?
        if let browser = Environment.process["BROWSER"] {
            argv = browser.split(separator: " ").map(String.init) + [url]
        } else if hasDisplay {
            argv = ["xdg-open", url]
        }
        guard let argv else { return }
        let runner = context.runner
        let logger = context.logger
        // A browser may not return until it exits: never hold up the login for it.
        _ = BackgroundThread.start {
            do throws(AuthError) {
                let r = try runner.run(argv, timeout: 30, cancel: nil)
                if r.exitStatus != 0 { logger.log(.info, "\(argv[0]) exited with status \(r.exitStatus)") }
            } catch {
                logger.log(.info, "could not open a browser: \(error.message)")
            }
        }
    }
}
