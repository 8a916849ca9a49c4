import FlyteAuthCore

/// Where a client's token came from; the raw value is what status shows.
enum TokenSource: String, Sendable {
    case none
    case cache
    case cacheChecked = "cache (checked at the IdP)"
    case idp
    case idpRefresh = "idp (refresh)"
    case command
    case host
}

/// What a flight yields.
struct Obtained: Sendable {
    let credentials: Credentials
    let source: TokenSource
    let proxyHeader: ProxyAuthorization.Header?
}

// Obtaining credentials for a flight: from the shared cache if another process
// refreshed, else by refresh token, else by the flow. No client lock is held here.
extension AuthClient {
    func obtain(_ flight: Flight, cancel: CancelToken) throws(AuthError) -> Obtained {
        let context = makeContext(cancel: cancel)
        // The header key is part of what a flow yields: settle it first.
        try headerKey.settle(authType: settings.authType, parameters: context.parameters)
        let proxyHeader = try proxy?.header(self, force: flight.kind.isForced, cancel: cancel)
        let (credentials, source) = try obtainToken(context: context, flight: flight)
        return Obtained(credentials: credentials, source: source, proxyHeader: proxyHeader)
    }

    private func obtainToken(context: FlowContext, flight: Flight) throws(AuthError) -> (Credentials, TokenSource) {
        let rejected = flight.kind.rejected
        guard flow.cached else {
            if settings.authType == .passthrough, let previous = flight.previous, !isRejected(previous.accessToken, rejected),
                clock.now() < policy.hardDeadline(for: previous)
            {
                return (previous, .host)
            }
            return (try runFlow(context), .idp)
        }
        let storage = try storage(cancel: context.cancel)
        var store = storage.store
        // A process a token command started (its depth > 0) may be that command coming back
        // to the same cache key: waiting for the lock its parent holds would only time out.
        let nested = flow is CommandFlow && CommandRecursion.currentDepth > 0
        if let crossProcessLock = storage.lock, !nested {
            // First look at the cache without the lock: the lock serialises refreshes, and
            // readers queued behind it would make N processes starting together wait for
            // each other. Writes replace whole items, so an unlocked read sees the old
            // token or the new one; the decision is the same the locked path would make.
            if flight.previous == nil, flight.kind.acceptsCachedToken, let unlocked = store {
                do throws(AuthError) {
                    if let stored = try unlocked.load(), !isRejected(stored.accessToken, rejected),
                        clock.now() < policy.hardDeadline(for: stored)
                    {
                        return (stored, .cache)
                    }
                } catch {
                    warnCacheUnreadable(error)
                    store = nil  // unreadable now: do not wait for it a second time under the lock
                }
            }
            let timeout = settings.lockTimeoutSeconds + (settings.authType.isInteractive ? settings.loginTimeoutSeconds : 0)
            return try crossProcessLock.withLock(timeout: timeout, cancel: context.cancel) { () throws(AuthError) in
                try obtainThroughCache(store, context: context, flight: flight)
            }
        }
        return try obtainThroughCache(store, context: context, flight: flight)
    }

    /// The one warning for a cache that cannot be read or written.
    private func warnCacheUnreadable(_ error: AuthError) {
        // No advice to opt in to the file cache when it is the one failing (a full disk).
        let advice = configuration.fileCachePath != nil ? "" : " (opt in to a file cache with FLYTEAUTH_FILE_CACHE=1 or \"file_cache\": true)"
        logger.warnOnce("cache", "\(error.message); tokens are kept in memory only" + advice)
    }

    /// Runs with the cross-process lock held: re-read, then refresh, then log in.
    private func obtainThroughCache(_ store: TokenStore?, context: FlowContext, flight: Flight) throws(AuthError) -> (Credentials, TokenSource) {
        let now = clock.now()
        let previous = flight.previous
        let rejected = flight.kind.rejected
        var stored: Credentials?
        // Whether the durable tiers answered: then what they hold is the whole truth, and
        // a refresh token only this process remembers was ended elsewhere (a logout, a
        // refusal) or replaced (another tool rotated it): never sent.
        var definitive = false
        var durableTierDown = false
        if let store {
            do throws(AuthError) {
                let read = try store.loadAuthoritative()
                stored = read.credentials
                definitive = read.definitive
                durableTierDown = read.durableTierDown
            } catch { warnCacheUnreadable(error) }
            if durableTierDown && flight.kind == .background {
                // Another tool may have rotated the refresh token there: wait for it (the
                // background retry) while the token in hand is still valid.
                throw AuthError(.cache, "the Secret Service cannot be read now; the refresh waits for it")
            }
            if let rejected, stored?.accessToken == rejected || previous?.accessToken == rejected {
                // No tier serves it again, whatever this refresh does.
                do throws(AuthError) { try store.invalidate(accessToken: rejected) } catch { warnCacheUnreadable(error) }
            }
        }
        if flight.kind != .login, let stored, !isRejected(stored.accessToken, rejected) {
            // Another process or tool refreshed already, or this is our first look at the
            // cache. A forced refresh takes only a token newer than the one it replaces.
            let reusable = flight.kind != .afterRejection(nil) || previous != nil
            let fresh = previous == nil ? now < policy.hardDeadline(for: stored) : now < policy.softDeadline(for: stored)
            if reusable && fresh && stored.accessToken != previous?.accessToken { return (stored, .cache) }
        }
        if flight.kind != .login, let stored, stored.unverified, stored.refreshToken == nil, stored.expiresAt == nil,
            !isRejected(stored.accessToken, rejected)
        {
            // No lifetime and nothing to refresh it with: one request says whether it works.
            if let checked = try checkUnknownLifetime(stored, context: context) {
                save(checked, to: store)
                return (checked, .cacheChecked)
            }
        }
        let refused = state.withLock { $0.refusedRefreshTokens }
        let base = (definitive ? [stored] : [stored, previous]).compactMap { $0 }.first {
            guard let token = $0.refreshToken else { return false }
            return !refused.contains(token)
        }
        var refreshFailure: AuthError?
        if flight.kind != .login, flow.refreshes, let base, let refreshToken = base.refreshToken {
            do throws(AuthError) {
                let refreshed = try refresh(refreshToken, context: context).keepingRefreshToken(of: base)
                save(refreshed, to: store)
                return (refreshed, .idpRefresh)
            } catch  where error.isTransient || error.kind == .cancelled || error.missingPackage != nil {
                throw error.prefixed("refresh")  // keep the last good tokens
            } catch  where error.oauthError != nil {
                // The IdP's verdict (invalid_grant and the like): never send it again.
                logger.log(.info, "refresh token was refused (\(error.oauthError ?? error.message)); a new login is needed")
                forget(refreshToken, refusal: error, in: store)
            } catch {
                // Refused without an OAuth answer (an ingress's HTML 401/403, a redirect):
                // no verdict on the refresh token, which is kept for the next try.
                logger.log(.info, "refresh failed (\(error.message)); a new login is needed, the refresh token is kept")
                refreshFailure = error
            }
        }
        if flight.kind == .background && flow.refreshes {
            // A person is never asked from a background thread; the caller that finds the
            // token expired does the login.
            throw withRefusal(AuthError(.loginRequired, "the refresh token was refused; a new login is needed"))
        }
        let credentials: Credentials
        do throws(AuthError) { credentials = try runFlow(context) } catch {
            throw withRefreshFailure(withRefusal(error), refreshFailure)
        }
        save(credentials, to: store)
        return (credentials, flow is CommandFlow ? .command : .idp)
    }

    /// An imported token of unknown lifetime without a refresh token: accepted by Flyte's
    /// identity endpoint (Flyte 2's IdentityService/UserInfo, else Flyte 1's /me, else the
    /// IdP's userinfo when advertised), it is served (its lifetime still unknown, nothing
    /// made up) until a server rejects it; refused, it is never served, and nil sends the
    /// caller on to a login. With no endpoint to ask it is served as it is, unknown.
    private func checkUnknownLifetime(_ c: Credentials, context: FlowContext) throws(AuthError) -> Credentials? {
        var checked = c
        checked.unverified = false
        let key = headerKey.current ?? AuthParameters.defaultHeaderKey
        var requests: [HTTPRequest] = []
        if let base = endpoint?.baseURL {
            var flyte2 = HTTPRequest(
                method: .post, url: base + "/flyteidl2.auth.IdentityService/UserInfo",
                headers: [("Content-Type", "application/json"), ("Accept", "application/json"), (key, c.headerValue)],
                body: Array("{}".utf8))
            flyte2.toFlyteEndpoint = true
            var flyte1 = HTTPRequest(method: .get, url: base + "/me", headers: [("Accept", "application/json"), (key, c.headerValue)])
            flyte1.toFlyteEndpoint = true
            requests = [flyte2, flyte1]
        }
        if let userinfo = try context.parameters().userinfoEndpoint {
            requests.append(
                HTTPRequest(
                    method: .get, url: userinfo,
                    headers: [("Accept", "application/json"), ("Authorization", c.headerValue)]))
        }
        for request in requests {
            let response: HTTPResponse
            do throws(AuthError) { response = try context.send(request) } catch {
                throw error.prefixed("checking the token another tool stored")
            }
            switch UnknownLifetime.verdict(status: response.status) {
            case .accepted:
                logger.log(.info, "the token another tool stored has no known lifetime; \(request.url) accepts it")
                return checked
            case .refused(let status):
                logger.log(.info, "the token another tool stored was refused (\(request.url): HTTP \(status)); a new login is needed")
                state.withLock { $0.reject(c.accessToken) }
                return nil
            case .unknown(let status) where status == 404 || status == 405 || status == 415:
                continue  // not served here: the next endpoint
            case .unknown(let status):
                throw AuthError(
                    .protocol, "could not check the token another tool stored: \(request.url) answered HTTP \(status)",
                    httpStatus: status)
            }
        }
        logger.log(.info, "a token of unknown lifetime from another tool is served unchecked (no identity endpoint to ask)")
        return checked
    }

    /// Never sends `refreshToken` again: out of memory, the canonical item and every
    /// layout it came from or went to.
    private func forget(_ refreshToken: String, refusal: AuthError, in store: TokenStore?) {
        state.withLock { $0.refuse(refreshToken, refusal) }
        guard let store else { return }
        do throws(AuthError) { try store.forgetRefreshToken(refreshToken) } catch { warnCacheUnreadable(error) }
    }

    /// A login-required error after a refresh that failed without an OAuth answer says
    /// what failed (the URL and the status), so an ingress's 401 is not mistaken for the
    /// user's session ending.
    private func withRefreshFailure(_ error: AuthError, _ failure: AuthError?) -> AuthError {
        guard error.kind == .loginRequired, let failure else { return error }
        var e = error
        e.message += " (the refresh failed first: \(failure.message))"
        if e.httpStatus == 0 { e.httpStatus = failure.httpStatus }
        return e
    }

    /// A login-required error after a refusal says what the IdP said (its OAuth error).
    private func withRefusal(_ error: AuthError) -> AuthError {
        guard error.kind == .loginRequired, error.oauthError == nil, let refusal = state.withLock({ $0.refusal }) else {
            return error
        }
        var e = error
        e.oauthError = refusal.oauthError
        e.oauthErrorDescription = refusal.oauthErrorDescription
        e.httpStatus = refusal.httpStatus
        e.message += " (the refresh token was refused: \(refusal.oauthError ?? refusal.message))"
        return e
    }

    func storage(cancel: CancelToken) throws(AuthError) -> Storage {
        try cache.storage(endpoint: endpoint, configuration: configuration, cacheClientID: cacheClientID, logger: logger) {
            () throws(AuthError) in try parameters(cancel: cancel)
        }
    }

    private func isRejected(_ token: String, _ rejected: String?) -> Bool {
        token == rejected || state.withLock { $0.rejectedTokens.contains(token) }
    }

    private func save(_ credentials: Credentials, to store: TokenStore?) {
        guard let store else { return }
        do throws(AuthError) { try store.save(credentials) } catch { warnCacheUnreadable(error) }
    }

    private func runFlow(_ context: FlowContext) throws(AuthError) -> Credentials {
        do {
            return try flow.obtain(context)
        } catch  where error.kind == .network || error.httpStatus == 404 {
            // Stale discovery documents can point at a token endpoint that moved.
            if discovery.invalidate() { return try flow.obtain(context) }
            throw error
        }
    }

    private func refresh(_ refreshToken: String, context: FlowContext) throws(AuthError) -> Credentials {
        let p = try context.parameters()
        guard let tokenEndpoint = p.tokenEndpoint, let clientID = p.clientID ?? cacheClientID else {
            throw AuthError(.unsupported, "cannot refresh: no token endpoint or client id")
        }
        let request = TokenRequests.refresh(
            endpoint: tokenEndpoint, clientID: clientID, refreshToken: refreshToken,
            scopes: [], audience: nil,
            auth: try context.clientAuthentication(clientID: clientID, tokenEndpoint: tokenEndpoint))
        let sentAt = clock.now()
        let response = try context.send(request)
        return try TokenResponse.credentials(from: response, endpoint: tokenEndpoint, now: sentAt)
    }

    func makeContext(cancel: CancelToken) -> FlowContext {
        FlowContext(
            settings: settings,
            parameters: { () throws(AuthError) in try self.parameters(cancel: cancel) },
            send: { (request) throws(AuthError) in try self.send(request, cancel: cancel) },
            runner: runner, interaction: interaction, cancel: cancel, logger: logger, clock: clock, authenticator: authenticator)
    }

    func parameters(cancel: CancelToken) throws(AuthError) -> AuthParameters {
        try discovery.parameters(send: { (r, c) throws(AuthError) in try self.send(r, cancel: c) }, cancel: cancel)
    }

    /// Sends `request` as the engine sends its own, without a token (proxy-authorization
    /// where the proxy is, never to the IdP): for diagnostics such as `flyteauth doctor`.
    public func sendUnauthenticated(_ request: HTTPRequest) throws(AuthError) -> HTTPResponse {
        defer { logger.flush() }
        return try send(request, cancel: cancelSource.token())
    }

    /// Both discovery documents fetched afresh through `sendUnauthenticated`'s path, each
    /// request told to `observe` (Discovery.probe).
    public func probeDiscovery(observe: (DiscoveryStep) -> Void)
        -> (metadata: Result<OAuth2Metadata, AuthError>, clientConfig: Result<PublicClientConfig, AuthError>)
    {
        defer { logger.flush() }
        let cancel = cancelSource.token()
        return discovery.probe(send: { (r, c) throws(AuthError) in try self.send(r, cancel: c) }, cancel: cancel, observe: observe)
    }

    /// Every request goes through here: proxy-authorization on requests to Flyte.
    func send(_ request: HTTPRequest, cancel: CancelToken?) throws(AuthError) -> HTTPResponse {
        var request = request
        // The proxy (IAP and similar) fronts the whole Flyte origin: discovery, and the
        // token endpoint too when flyteadmin is its own authorization server.
        if let proxy, request.toFlyteEndpoint || endpoint.map({ request.url.hasPrefix($0.baseURL + "/") }) == true {
            let token = cancel ?? cancelSource.token()
            request.headers.append(("Proxy-Authorization", try proxy.header(self, force: false, cancel: token).value))
        }
        return try transport.send(request, cancel: cancel)
    }
}
