import FlyteAuthCore
import Glibc
import Synchronization

/// The engine: one Flyte endpoint's credentials, obtained by the configured flow, shared
/// through the token cache, refreshed ahead of expiry, one refresh at a time.
///
/// The path of one header request: a valid snapshot in memory is returned as is. Past
/// its soft deadline it is still returned while one background refresh runs; past its
/// hard deadline callers wait for the one refresh in flight (single-flight). A refresh
/// takes the cross-process lock, re-reads the shared cache, and only then asks the IdP.
public final class AuthClient: @unchecked Sendable {
    public let settings: Settings
    public let endpoint: FlyteEndpoint?
    public let logger = Logger()
    public let interaction = Interaction()
    /// Unique in the process; keys per-thread caches of the C layer.
    public let id: UInt64
    /// Bumped whenever `snapshot` changes; read without the lock by the C layer.
    public let generation = Atomic<UInt64>(1)

    let flow: Flow
    let transport: HTTPTransport
    let runner: ProcessRunning
    private let storageFactory: StorageFactory?
    private let storageCache = Mutex<Storage?>(nil)
    private let discovery: Discovery
    private let proxy: ProxyAuthorization?
    private let policy: RefreshPolicy
    private let cancelSource = CancelSource()
    private let forkGeneration: UInt64

    // Guarded by `state`.
    private let state = ConditionLock()
    private var current: Credentials?
    private var currentSource = "none"
    private var snapshot: HeaderSnapshot?
    private var flightInProgress: UInt64?
    private var lastFlight: (id: UInt64, error: AuthError?) = (0, nil)
    private var flightCounter: UInt64 = 0
    private var nextBackgroundAttempt: Double = 0
    private var rejectedTokens: [String] = []

    private static let idCounter = Atomic<UInt64>(0)

    public struct Dependencies: Sendable {
        public var transport: HTTPTransport?
        public var runner: ProcessRunning?
        public var storage: StorageFactory?
        public init(transport: HTTPTransport? = nil, runner: ProcessRunning? = nil, storage: StorageFactory? = nil) {
            self.transport = transport
            self.runner = runner
            self.storage = storage
        }
    }

    public init(settings input: Settings, dependencies: Dependencies = Dependencies()) throws(AuthError) {
        var settings = input
        try settings.validate()
        var apiKey: APIKey?
        if settings.authType == .apiKey || settings.apiKey.nonEmpty != nil {
            guard let raw = settings.apiKey.nonEmpty ?? Paths.environment("FLYTE_API_KEY") else {
                throw AuthError(.config, "auth type ApiKey needs \"api_key\" or the FLYTE_API_KEY environment variable")
            }
            let key = try APIKey(decoding: raw)
            apiKey = key
            settings.authType = .apiKey
            if settings.endpoint.nonEmpty == nil { settings.endpoint = key.endpoint }
        }
        if settings.authType == .externalCommand && settings.command == nil {
            throw AuthError(.config, "Command cannot be empty for command authenticator (set \"command\")")
        }
        self.settings = settings
        endpoint = try settings.endpoint.nonEmpty.map { (e) throws(AuthError) in try FlyteEndpoint(e, insecure: settings.insecure) }

        switch settings.authType {
        case .clientSecret:
            flow = ClientCredentialsFlow(clientID: settings.clientID, clientSecret: try ClientSecret.resolve(settings))
        case .apiKey:
            flow = ClientCredentialsFlow(clientID: apiKey!.clientID, clientSecret: apiKey!.clientSecret)
        case .externalCommand:
            flow = CommandFlow(command: settings.command!)
        case .passthrough:
            flow = PassthroughFlow()
        case .pkce:
            flow = PKCEFlow()
        case .deviceFlow:
            flow = DeviceFlow()
        }
        transport = dependencies.transport ?? CurlTransport(settings: settings)
        runner = dependencies.runner ?? SpawnProcessRunner()
        storageFactory = flow.cached ? dependencies.storage : nil
        policy = RefreshPolicy(window: settings.refreshWindowSeconds)
        proxy = settings.proxyCommand.map { ProxyAuthorization(command: $0) }
        discovery = Discovery(settings: settings, endpoint: endpoint, logger: logger)
        discoveredHeaderKeyStorage = Mutex(settings.authorizationHeader.nonEmpty?.lowercased())
        forkGeneration = ForkDetection.generation()
        id = AuthClient.idCounter.add(1, ordering: .relaxed).newValue
    }

    /// The client ID credentials are cached under: the configured one, else the API key's.
    public var cacheClientID: String? {
        (flow as? ClientCredentialsFlow)?.clientID ?? settings.clientID
    }

    // MARK: - Public operations

    /// The headers for a call, refreshing as needed (see the type's documentation).
    public func headers() throws(AuthError) -> HeaderSnapshot {
        try checkFork()
        let cancel = cancelSource.token()
        state.lock()
        defer { state.unlock() }
        let deadline = Clock.monotonic() + waitBudget
        var ranOwnFlight = false
        while true {
            let now = Clock.now()
            if let s = snapshot {
                if now < s.softDeadline { return s }
                if now < s.hardDeadline {
                    if flightInProgress == nil && now >= nextBackgroundAttempt { startBackgroundFlight() }
                    return s
                }
            }
            if flightInProgress != nil {
                try awaitFlight(deadline: deadline, cancel: cancel)
                continue
            }
            if ranOwnFlight {
                // Our own flight produced a token that is already past its hard deadline.
                if let s = snapshot { return s }
                throw AuthError(.internal, "refresh produced no token")
            }
            try runFlight(rejected: nil)
            ranOwnFlight = true
        }
    }

    /// After a server rejected `rejected` (token or "Bearer token"; nil forces a refresh).
    public func refresh(rejected: String?) throws(AuthError) -> HeaderSnapshot {
        try checkFork()
        let token = rejected.map(AuthClient.bareToken)
        let cancel = cancelSource.token()
        state.lock()
        defer { state.unlock() }
        let deadline = Clock.monotonic() + waitBudget
        while true {
            if let token, let s = snapshot, s.accessToken != token, Clock.now() < s.hardDeadline {
                return s  // someone already replaced the rejected token
            }
            if flightInProgress != nil {
                try awaitFlight(deadline: deadline, cancel: cancel)
                if token == nil, let s = snapshot { return s }  // a forced refresh joins the running one
                continue
            }
            if let token, !rejectedTokens.contains(token) {
                rejectedTokens.append(token)
                if rejectedTokens.count > 8 { rejectedTokens.removeFirst() }
            }
            try runFlight(rejected: token, force: true)
            if let s = snapshot { return s }
            throw AuthError(.internal, "refresh produced no token")
        }
    }

    /// Runs the flow now, even when a token is cached.
    public func login() throws(AuthError) -> HeaderSnapshot {
        try checkFork()
        let cancel = cancelSource.token()
        state.lock()
        defer { state.unlock() }
        let deadline = Clock.monotonic() + waitBudget
        // A login replaces whatever a running refresh produces: wait for it, ignore its result.
        while flightInProgress != nil { try awaitFlight(deadline: deadline, cancel: cancel, sharingErrors: false) }
        try runFlight(rejected: nil, force: true, freshLogin: true)
        if let s = snapshot { return s }
        throw AuthError(.internal, "login produced no token")
    }

    /// Forgets the credentials everywhere this client stores them.
    public func logout() throws(AuthError) {
        try checkFork()
        state.withLock {
            current = nil
            snapshot = nil
            currentSource = "none"
            bumpGeneration()
        }
        try storage(cancel: cancelSource.token()).store?.remove()
    }

    /// Supplies a token from the host (passthrough).
    public func setToken(_ token: String, expiresAt: Double?) throws(AuthError) {
        try checkFork()
        let bare = AuthClient.bareToken(token)
        guard !bare.isEmpty, HTTPHeaderName.isSafeValue(bare) else {
            throw AuthError(.invalidArgument, "the token is empty or contains control characters")
        }
        let credentials = Credentials(accessToken: bare, expiresAt: expiresAt ?? JWT.expiry(of: bare), obtainedAt: Clock.now())
        if settings.authType != .passthrough && discoveredHeaderKey == nil {
            // Without a configured key, the server's is the one to use from the first call.
            let key = try parameters(cancel: cancelSource.token()).headerKey
            discoveredHeaderKeyStorage.withLock { $0 = key }
        }
        let proxyHeader = try proxy?.header(self, force: false)
        state.withLock {
            rejectedTokens.removeAll { $0 == bare }
            publish(credentials, source: "host", proxyHeader: proxyHeader)
        }
    }

    /// Sends `request` with the auth headers; after a 401, refreshes once and resends once.
    public func authorizedCall(_ request: HTTPRequest) throws(AuthError) -> HTTPResponse {
        var snapshot = try headers()
        for attempt in 0..<2 {
            var r = request
            // Flyte gets its configured header; anyone else (the IdP's userinfo) the standard
            // one. `send` adds proxy-authorization only where the proxy is: never to the IdP.
            let auth = request.toFlyteEndpoint ? snapshot.headers[0]
                : (key: "authorization", value: "Bearer " + snapshot.accessToken)
            r.headers.append((name: auth.key, value: auth.value))
            let response = try send(r, cancel: cancelSource.token())
            if response.status != 401 || attempt == 1 { return response }
            snapshot = try refresh(rejected: snapshot.accessToken)
        }
        throw AuthError(.internal, "unreachable")
    }

    /// The merged login parameters (discovery documents and settings).
    public func loginParameters() throws(AuthError) -> AuthParameters {
        try parameters(cancel: cancelSource.token())
    }

    /// Where tokens are cached, once known.
    public var cacheDescription: String {
        storageCache.withLock { $0 }?.store?.name ?? (storageFactory == nil ? "not cached (memory only)" : "memory only")
    }

    /// Stops waiting logins and refreshes.
    public func cancel() {
        cancelSource.cancelAll()
        state.withLock { state.broadcast() }
    }

    /// A description for display; no secrets, no I/O.
    public func status() -> JSONValue {
        let (credentials, source) = state.withLock { (current, currentSource) }
        var o: [String: JSONValue] = [
            "auth_type": .string(settings.authType.rawValue),
            "token_source": .string(source),
            "interactive": .bool(settings.interactive),
            "library_version": .string(LibraryVersion.string),
        ]
        o["endpoint"] = endpoint.map { .string($0.configured) }
        o["client_id"] = cacheClientID.map(JSONValue.string)
        o["cache"] = storageCache.withLock { $0 }?.store.map { .string($0.name) }
            ?? .string(storageFactory == nil ? "memory only (this auth type is not cached)" : "not opened yet")
        // Cache tiers (issue 14): which tier served the token, and each tier's state.
        if let tiered = storageCache.withLock({ $0 })?.store as? TierReporting {
            o["token_tier"] = source == "cache" ? tiered.servedTier.map(JSONValue.string) ?? .null : .null
            o["cache_tiers"] = .array(tiered.tiers.map(\.json))
        }
        if let c = credentials {
            o["has_token"] = .bool(true)
            o["has_refresh_token"] = .bool(c.refreshToken != nil)
            o["expires_at"] = c.expiresAt.map { .number($0.rounded(.down)) } ?? .null
            var claims: [String: JSONValue] = [:]
            let source = c.idToken.flatMap(JWT.claims) ?? JWT.claims(of: c.accessToken) ?? [:]
            for key in ["sub", "iss", "aud", "email", "name", "preferred_username", "exp", "iat", "scope"] {
                if let v = source[key] { claims[key] = v }
            }
            o["claims"] = .object(claims)
        } else {
            o["has_token"] = .bool(false)
        }
        return .object(o)
    }

    // MARK: - Single flight

    /// The longest a caller waits for someone else's refresh: every step of a refresh
    /// has its own timeout, so this is only a safety net.
    private var waitBudget: Double {
        let base = settings.lockTimeoutSeconds + settings.httpTimeoutSeconds * 3 + settings.commandTimeoutSeconds * 2 + 5
        return settings.authType.isInteractive
            ? base + max(settings.loginTimeoutSeconds, settings.deviceFlowTimeoutSeconds) : base
    }

    /// Waits (lock held) until the flight running now finishes, and throws its error when
    /// `sharingErrors`. A flight stopped by a cancel that came before this caller began
    /// is not this caller's failure: it returns, and the caller runs its own flight.
    private func awaitFlight(deadline: Double, cancel: CancelToken, sharingErrors: Bool = true) throws(AuthError) {
        guard let awaited = flightInProgress else { return }
        while flightInProgress == awaited {
            if cancel.isCancelled { throw AuthError(.cancelled, "cancelled while waiting for a refresh") }
            if !state.wait(until: deadline) && Clock.monotonic() >= deadline {
                throw AuthError(.timeout, "waited \(Int(waitBudget)) s for a refresh running in another thread")
            }
        }
        guard sharingErrors, lastFlight.id == awaited, let error = lastFlight.error else { return }
        if error.kind == .cancelled && !cancel.isCancelled { return }
        throw error
    }

    /// Runs a flight on this thread (lock held on entry and exit, released while working).
    private func runFlight(rejected: String?, force: Bool = false, freshLogin: Bool = false) throws(AuthError) {
        flightCounter += 1
        let id = flightCounter
        flightInProgress = id
        let previous = current
        state.unlock()
        let result: Result<Obtained, AuthError>
        do throws(AuthError) {
            result = .success(try obtain(previous: previous, rejected: rejected, force: force, freshLogin: freshLogin))
        } catch {
            result = .failure(error)
        }
        state.lock()
        finish(id, result)
        if case .failure(let e) = result {
            if let rejected, snapshot?.accessToken == rejected {
                // The server refused it: failing to replace it must not bring it back.
                snapshot = nil
                bumpGeneration()
            }
            throw e
        }
    }

    private func startBackgroundFlight() {
        flightCounter += 1
        let id = flightCounter
        flightInProgress = id
        let previous = current
        let started = BackgroundThread.start { [self] in
            let result: Result<Obtained, AuthError>
            do throws(AuthError) {
                result = .success(try obtain(previous: previous, rejected: nil, force: false, freshLogin: false, background: true))
            }
            catch { result = .failure(error) }
            state.withLock {
                if case .failure(let e) = result {
                    // Keep handing out the still-valid token; try again a little later.
                    nextBackgroundAttempt = Clock.now() + 5
                    logger.log(.warning, "background refresh failed, keeping the current token until it expires: \(e.message)")
                }
                finish(id, result)
            }
        }
        if !started {
            flightInProgress = nil
            nextBackgroundAttempt = Clock.now() + 5
        }
    }

    /// Records a flight's result and wakes every waiter, on failure as on success.
    private func finish(_ id: UInt64, _ result: Result<Obtained, AuthError>) {
        switch result {
        case .success(let (credentials, source, proxyHeader)):
            publish(credentials, source: source, proxyHeader: proxyHeader)
            lastFlight = (id, nil)
        case .failure(let error):
            lastFlight = (id, error)
        }
        if flightInProgress == id { flightInProgress = nil }
        state.broadcast()
    }

    private func publish(_ credentials: Credentials, source: String, proxyHeader: ProxyAuthorization.Header?) {
        current = credentials
        currentSource = source
        var headers = [(key: discoveredHeaderKey ?? AuthParameters.defaultHeaderKey, value: credentials.headerValue)]
        var soft = policy.softDeadline(for: credentials)
        var hard = policy.hardDeadline(for: credentials)
        if let proxyHeader {
            headers.append((key: "proxy-authorization", value: proxyHeader.value))
            soft = min(soft, proxyHeader.softDeadline)
            hard = min(hard, proxyHeader.hardDeadline)
        }
        let generation = bumpGeneration()
        snapshot = HeaderSnapshot(headers: headers, accessToken: credentials.accessToken, expiresAt: credentials.expiresAt,
                                  softDeadline: soft, hardDeadline: hard, generation: generation)
    }

    @discardableResult
    private func bumpGeneration() -> UInt64 {
        generation.add(1, ordering: .releasing).newValue
    }

    // MARK: - Obtaining credentials (no lock held)

    /// The header key: the configured one from the start, else the server's once discovered.
    private let discoveredHeaderKeyStorage: Mutex<String?>
    private var discoveredHeaderKey: String? { discoveredHeaderKeyStorage.withLock { $0 } }

    /// New credentials: from the shared cache if another process refreshed, else by
    /// refresh token, else by the flow. Returns (credentials, source, proxy header).
    typealias Obtained = (Credentials, String, ProxyAuthorization.Header?)

    private func obtain(previous: Credentials?, rejected: String?, force: Bool, freshLogin: Bool, background: Bool = false)
        throws(AuthError) -> Obtained {
        let cancel = cancelSource.token()
        let context = makeContext(cancel: cancel)
        if settings.authType != .passthrough {
            // The header key is part of what a flow yields: settle it first.
            let key = try context.parameters().headerKey
            discoveredHeaderKeyStorage.withLock { $0 = key }
        } else {
            discoveredHeaderKeyStorage.withLock { $0 = settings.authorizationHeader?.lowercased() }
        }
        let proxyHeader = try proxy?.header(self, force: force)
        let (credentials, source) = try obtainToken(context: context, previous: previous, rejected: rejected,
                                                    freshLogin: freshLogin, background: background)
        return (credentials, source, proxyHeader)
    }

    private func obtainToken(context: FlowContext, previous: Credentials?, rejected: String?, freshLogin: Bool,
                             background: Bool) throws(AuthError) -> (Credentials, String) {
        guard flow.cached else {
            if settings.authType == .passthrough, let previous, !isRejected(previous.accessToken, rejected),
               Clock.now() < policy.hardDeadline(for: previous) {
                return (previous, "host")
            }
            return (try runFlow(context), flow is CommandFlow ? "command" : "idp")
        }
        let storage = try storage(cancel: context.cancel)
        var store = storage.store
        if let crossProcessLock = storage.lock {
            // First look at the cache without the lock: the lock serialises refreshes, and
            // readers queued behind it would make N processes starting together wait for
            // each other. Writes replace whole items, so an unlocked read sees the old
            // token or the new one; the decision is the same the locked path would make.
            if previous == nil, !freshLogin, let unlocked = store {
                do throws(AuthError) {
                    if let stored = try unlocked.load(), !isRejected(stored.accessToken, rejected),
                       Clock.now() < policy.hardDeadline(for: stored) {
                        return (stored, "cache")
                    }
                } catch {
                    warnCacheUnreadable(error)
                    store = nil  // unreadable now: do not wait for it a second time under the lock
                }
            }
            let timeout = settings.lockTimeoutSeconds + (settings.authType.isInteractive ? settings.loginTimeoutSeconds : 0)
            return try crossProcessLock.withLock(timeout: timeout, cancel: context.cancel) { () throws(AuthError) in
                try obtainThroughCache(store, context: context, previous: previous, rejected: rejected, freshLogin: freshLogin,
                                       background: background)
            }
        }
        return try obtainThroughCache(store, context: context, previous: previous, rejected: rejected, freshLogin: freshLogin,
                                      background: background)
    }

    /// The one warning for a cache that cannot be read or written.
    private func warnCacheUnreadable(_ error: AuthError) {
        logger.warnOnce("cache", "\(error.message); tokens are kept in memory only (opt in to a file cache with FLYTEAUTH_FILE_CACHE=1 or \"file_cache\": true)")
    }

    /// Runs with the cross-process lock held: re-read, then refresh, then log in.
    private func obtainThroughCache(_ store: TokenStore?, context: FlowContext, previous: Credentials?, rejected: String?,
                                    freshLogin: Bool, background: Bool) throws(AuthError) -> (Credentials, String) {
        let now = Clock.now()
        var stored: Credentials?
        if let store {
            do throws(AuthError) { stored = try store.load() } catch { warnCacheUnreadable(error) }
        }
        if !freshLogin, let stored, !isRejected(stored.accessToken, rejected) {
            // Another process refreshed already, or this is our first look at the cache.
            let fresh = previous == nil ? now < policy.hardDeadline(for: stored) : now < policy.softDeadline(for: stored)
            if fresh && stored.accessToken != previous?.accessToken { return (stored, "cache") }
        }
        let base = [stored, previous].compactMap { $0 }.first { $0.refreshToken != nil }
        if !freshLogin, flow.refreshes, let base, let refreshToken = base.refreshToken {
            do throws(AuthError) {
                let refreshed = try refresh(refreshToken, context: context).keepingRefreshToken(of: base)
                save(refreshed, to: store)
                return (refreshed, "idp (refresh)")
            } catch where error.isTransient || error.kind == .cancelled {
                throw error.prefixed("refresh")  // keep the last good tokens
            } catch {
                logger.log(.info, "refresh token was refused (\(error.oauthError ?? error.message)); a new login is needed")
                // Cache tiers (issue 14): the refused login is dead in every tier; clear them all.
                if let store { do throws(AuthError) { try store.remove() } catch { warnCacheUnreadable(error) } }
            }
        }
        if background && flow.refreshes {
            // A person is never asked from a background thread; the caller that finds the
            // token expired does the login.
            throw AuthError(.loginRequired, "the refresh token was refused; a new login is needed")
        }
        let credentials = try runFlow(context)
        save(credentials, to: store)
        return (credentials, "idp")
    }

    /// The cache and lock for this client's key, made on first use: a PKCE client's id
    /// may only be known after discovery.
    private func storage(cancel: CancelToken) throws(AuthError) -> Storage {
        if let cached = storageCache.withLock({ $0 }) { return cached }
        guard let storageFactory, let endpoint else { return Storage(store: nil, lock: nil) }
        let p = try parameters(cancel: cancel)
        guard let clientID = p.clientID ?? cacheClientID else { return Storage(store: nil, lock: nil) }
        let made = storageFactory(CacheKey(endpoint: endpoint, clientID: clientID), settings, p.tokenEndpoint, logger)
        return storageCache.withLock { existing in
            if let existing { return existing }
            existing = made
            return made
        }
    }

    private func isRejected(_ token: String, _ rejected: String?) -> Bool {
        token == rejected || state.withLock { rejectedTokens.contains(token) }
    }

    private func save(_ credentials: Credentials, to store: TokenStore?) {
        guard let store else { return }
        do throws(AuthError) { try store.save(credentials) } catch { warnCacheUnreadable(error) }
    }

    private func runFlow(_ context: FlowContext) throws(AuthError) -> Credentials {
        do {
            return try flow.obtain(context)
        } catch where error.kind == .network || error.httpStatus == 404 {
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
        let request = TokenRequests.refresh(endpoint: tokenEndpoint, clientID: clientID, refreshToken: refreshToken,
                                            scopes: [], audience: nil)
        let sentAt = Clock.now()
        let response = try context.send(request)
        return try TokenResponse.credentials(from: response, endpoint: tokenEndpoint, now: sentAt)
    }

    func makeContext(cancel: CancelToken) -> FlowContext {
        FlowContext(
            settings: settings,
            parameters: { () throws(AuthError) in try self.parameters(cancel: cancel) },
            send: { (request) throws(AuthError) in try self.send(request, cancel: cancel) },
            runner: runner, interaction: interaction, cancel: cancel, logger: logger)
    }

    func parameters(cancel: CancelToken) throws(AuthError) -> AuthParameters {
        try discovery.parameters(send: { (r, c) throws(AuthError) in try self.send(r, cancel: c) }, cancel: cancel)
    }

    /// Every request goes through here: proxy-authorization on requests to Flyte.
    func send(_ request: HTTPRequest, cancel: CancelToken?) throws(AuthError) -> HTTPResponse {
        var request = request
        // The proxy (IAP and similar) fronts the whole Flyte origin: discovery, and the
        // token endpoint too when flyteadmin is its own authorization server.
        if let proxy, request.toFlyteEndpoint || endpoint.map({ request.url.hasPrefix($0.baseURL + "/") }) == true {
            request.headers.append(("Proxy-Authorization", try proxy.header(self, force: false).value))
        }
        return try transport.send(request, cancel: cancel)
    }

    private func checkFork() throws(AuthError) {
        if ForkDetection.current != forkGeneration {
            throw AuthError(.forked, "this client was created before fork(); create a new client in the child process")
        }
    }

    /// Inline for the C layer's cached path.
    @inline(__always)
    public var isForked: Bool { ForkDetection.current != forkGeneration }

    static func bareToken(_ value: String) -> String {
        let trimmed = value.trimmingSpaces()
        if trimmed.lowercased().hasPrefix("bearer ") { return String(trimmed.dropFirst(7)).trimmingSpaces() }
        return trimmed
    }
}
