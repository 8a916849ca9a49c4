import FlyteAuthCore
import Glibc
import Synchronization

/// The engine: one Flyte endpoint's credentials, obtained by the configured flow, shared
/// through the token cache, refreshed ahead of expiry, one refresh at a time.
///
/// The path of one header request: a valid snapshot in memory is returned as is. Past
/// its soft deadline it is still returned while one background refresh runs; past its
/// hard deadline callers wait for the one refresh in flight (single-flight). A refresh
/// takes the cross-process lock, re-reads the shared cache, and only then asks the IdP
/// (TokenAcquisition.swift).
///
/// Everything that changes lives in one `ClientState` behind one lock. `ClientState`
/// decides (its transitions return a `ClientAction`); this class only performs the
/// actions (flights, waits, logging), outside the lock.
public final class AuthClient: Sendable {
    public let settings: Settings
    public let configuration: ClientConfiguration
    public let endpoint: FlyteEndpoint?
    public let logger = Logger()
    public let interaction = Interaction()
    /// Unique in the process; keys per-thread caches of the C layer.
    public let id: UInt64
    /// Bumped whenever the snapshot changes; read without the lock by the C layer.
    public let generation = Atomic<UInt64>(1)

    let flow: Flow
    let authenticator: ClientAuthenticator?
    /// The tag a cached token must carry to be served (`CredentialBinding`); nil for the
    /// logins of a person, shared with every tool.
    let binding: String?
    let transport: HTTPTransport
    let runner: ProcessRunning
    let clock: EngineClock
    let cache: CacheStorage
    let headerKey: HeaderKey
    let discovery: Discovery
    let proxy: ProxyAuthorization?
    let policy: RefreshPolicy
    let cancelSource = CancelSource()
    let state = Guarded(ClientState())
    private let forkGeneration: UInt64
    private let forkProbe: (@Sendable () -> UInt64)?

    private static let idCounter = Atomic<UInt64>(0)

    /// The I/O the engine uses; nil parts get the production adapter (no storage: memory only).
    public struct Dependencies: Sendable {
        public var transport: HTTPTransport?
        public var runner: ProcessRunning?
        public var storage: StorageFactory?
        public var clock: EngineClock?
        public var environment: Environment?
        /// The process's fork generation (ForkDetection), so a test can play a child.
        public var forkGeneration: (@Sendable () -> UInt64)?
        public init(
            transport: HTTPTransport? = nil, runner: ProcessRunning? = nil, storage: StorageFactory? = nil,
            clock: EngineClock? = nil, environment: Environment? = nil,
            forkGeneration: (@Sendable () -> UInt64)? = nil
        ) {
            self.transport = transport
            self.runner = runner
            self.storage = storage
            self.clock = clock
            self.environment = environment
            self.forkGeneration = forkGeneration
        }
    }

    public init(settings input: Settings, dependencies: Dependencies = Dependencies()) throws(AuthError) {
        let configuration = try ClientConfiguration.resolve(input, environment: dependencies.environment ?? .process)
        let settings = configuration.settings
        self.configuration = configuration
        self.settings = settings
        endpoint = configuration.endpoint
        var secret: String?
        switch settings.authType {
        case .clientSecret:
            secret = try ClientSecret.resolve(settings)
            flow = ClientCredentialsFlow(clientID: settings.clientID)
        case .apiKey:
            secret = configuration.apiKey!.clientSecret
            flow = ClientCredentialsFlow(clientID: configuration.apiKey!.clientID)
        case .externalCommand:
            flow = CommandFlow(command: settings.command!)
        case .passthrough:
            flow = PassthroughFlow()
        case .tokenExchange:
            secret = try ClientSecret.resolve(settings)
            flow = TokenExchangeFlow(clientID: settings.clientID.nonEmpty)
        case .pkce:
            // A confidential client's secret, if configured, authenticates its code exchange.
            secret = try ClientSecret.resolve(settings)
            flow = PKCEFlow()
        case .deviceFlow:
            secret = try ClientSecret.resolve(settings)
            flow = DeviceFlow()
        }
        authenticator =
            settings.authType == .externalCommand || settings.authType == .passthrough
            ? nil
            : try ClientAuthenticator(settings: settings, secret: secret, logger: logger)
        binding = AuthClient.binding(
            settings: settings, secret: secret, apiKey: configuration.apiKey,
            method: authenticator?.method)
        transport = dependencies.transport ?? CurlTransport(settings: settings)
        if let (_, key) = CurlTransport.clientCertificate(settings), let mode = KeyFile.mode(key), mode & 0o044 != 0 {
            logger.warnOnce("key-mode", "private_key_file \(key) is readable by others (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        runner = dependencies.runner ?? SpawnProcessRunner()
        clock = dependencies.clock ?? SystemClock()
        cache = CacheStorage(
            factory: flow.cached ? dependencies.storage : nil, binding: binding,
            keyClientID: (flow as? CommandFlow).map { CommandFlow.cacheClientID($0.command) })
        policy = RefreshPolicy(window: settings.refreshWindowSeconds)
        proxy = settings.proxyCommand.map { ProxyAuthorization(command: $0) }
        discovery = Discovery(settings: settings, endpoint: endpoint, cacheDirectory: configuration.cacheDirectory, logger: logger)
        headerKey = HeaderKey(settings: settings)
        forkProbe = dependencies.forkGeneration
        forkGeneration = dependencies.forkGeneration?() ?? ForkDetection.generation()
        id = AuthClient.idCounter.add(1, ordering: .relaxed).newValue
        for notice in configuration.notices { logger.log(.warning, notice) }
    }

    /// The client ID credentials are cached under: the configured one, else the API key's.
    public var cacheClientID: String? {
        if let command = flow as? CommandFlow { return CommandFlow.cacheClientID(command.command) }
        return (flow as? ClientCredentialsFlow)?.clientID ?? settings.clientID
    }

    /// The binding of a machine's credential: the secret, the key file's bytes, the
    /// assertion source or the command, with the request it is used for.
    static func binding(settings: Settings, secret: String?, apiKey: APIKey?, method: ClientAuthMethod?) -> String? {
        guard !settings.authType.isInteractive, settings.authType != .passthrough else { return nil }
        var credential: [UInt8] = Array((secret ?? "").utf8)
        credential.append(0)
        for source in [settings.clientAssertion, settings.subjectToken, settings.actorToken].compactMap({ $0 }) {
            credential += Array(source.json.serialized.utf8)
            credential.append(0)
        }
        for path in [settings.privateKeyFile, settings.certificateFile].compactMap({ $0.nonEmpty }) {
            // The file's bytes, so a replaced key is a new credential; unreadable: a tag
            // that matches nothing (the token request will say why).
            credential.append(0)
            credential += (try? KeyFile.read(path, setting: "").bytes) ?? ((try? SecureRandom.bytes(32)) ?? [1])
        }
        if let command = settings.command, settings.authType == .externalCommand {
            credential += Array(command.joined(separator: "\u{0}").utf8)
        }
        let request = CredentialBinding.Request(
            method: method?.rawValue ?? settings.authType.rawValue, clientID: apiKey?.clientID ?? settings.clientID,
            tokenURL: settings.tokenURL.nonEmpty, scopes: settings.scopes, audience: settings.audience.nonEmpty,
            extra: [
                settings.authType.rawValue, settings.clientAssertionAudience ?? "", settings.privateKeyID ?? "",
                settings.subjectTokenType ?? "", settings.actorTokenType ?? "", settings.requestedTokenType ?? "",
                settings.resource ?? "",
            ])
        return CredentialBinding.tag(credential: credential, request: request)
    }

    // MARK: - Public operations

    /// The headers for a call, refreshing as needed (see the type's documentation).
    public func headers() throws(AuthError) -> HeaderSnapshot {
        try perform(.headers)
    }

    /// After a server rejected `rejected` (token or "Bearer token"); nil forces a token
    /// request (or joins one running now).
    public func refresh(rejected: String?) throws(AuthError) -> HeaderSnapshot {
        try perform(.refresh(rejected: rejected.map(AuthClient.bareToken)))
    }

    /// Runs the flow now, even when a token is cached.
    public func login() throws(AuthError) -> HeaderSnapshot {
        try perform(.login)
    }

    /// Performs the actions `ClientState` decides for `request` until one returns.
    private func perform(_ request: ClientRequest) throws(AuthError) -> HeaderSnapshot {
        defer { logger.flush() }
        try checkFork()
        let cancel = cancelSource.token()
        let deadline = Clock.monotonic() + waitBudget
        var call = ClientCall(request)
        while true {
            switch state.withLock({ $0.next(call, now: clock.now()) }) {
            case .serve(let snapshot):
                return snapshot
            case .startBackground(let flight, let snapshot):
                startBackground(flight)
                return snapshot
            case .wait(let id, let sharingErrors):
                try awaitFlight(id, deadline: deadline, cancel: cancel, sharingErrors: sharingErrors)
                call.waitEnded()
            case .run(let flight):
                try run(flight, cancel: cancel)
                call.flightRan()
            case .fail(let error):
                throw error
            }
        }
    }

    /// Forgets the credentials everywhere this client stores them.
    public func logout() throws(AuthError) {
        defer { logger.flush() }
        try checkFork()
        transition { $0.loggedOut() }
        try storage(cancel: cancelSource.token()).store?.remove()
    }

    /// Supplies a token from the host (passthrough).
    public func setToken(_ token: String, expiresAt: Double?) throws(AuthError) {
        defer { logger.flush() }
        try checkFork()
        let bare = AuthClient.bareToken(token)
        guard TokenSyntax.isValid(bare) else {
            throw AuthError(.invalidArgument, "the token is empty or contains spaces, control or non-ASCII characters (a token is printable ASCII)")
        }
        let credentials = Credentials(accessToken: bare, expiresAt: expiresAt ?? JWT.expiry(of: bare), obtainedAt: clock.now())
        let cancel = cancelSource.token()
        // Without a configured key, the server's is the one to use from the first call.
        try headerKey.settleIfUnknown(authType: settings.authType) { () throws(AuthError) in try parameters(cancel: cancel) }
        let proxyHeader = try proxy?.header(self, force: false, cancel: cancel)
        let publication = publication(Obtained(credentials: credentials, source: .host, proxyHeader: proxyHeader))
        transition { $0.hostSupplied(publication) }
    }

    /// The merged login parameters (discovery documents and settings).
    public func loginParameters() throws(AuthError) -> AuthParameters {
        defer { logger.flush() }
        return try parameters(cancel: cancelSource.token())
    }

    /// Where tokens are cached, once known.
    public var cacheDescription: String { cache.description }

    /// Stops waiting logins and refreshes.
    public func cancel() {
        cancelSource.cancelAll()
        state.update { _ in }  // wake the waiters, who see the cancel
    }

    /// A description for display; no secrets, no I/O.
    public func status() -> JSONValue { ClientStatus.json(for: self) }

    // MARK: - Single flight

    /// The longest a caller waits for someone else's refresh: every step of a refresh
    /// has its own timeout, so this is only a safety net.
    private var waitBudget: Double {
        let base = settings.lockTimeoutSeconds + settings.httpTimeoutSeconds * 3 + settings.commandTimeoutSeconds * 2 + 5
        return settings.authType.isInteractive
            ? base + max(settings.loginTimeoutSeconds, settings.deviceFlowTimeoutSeconds) : base
    }

    /// Waits until flight `id` ends, and throws what `ClientState` says the caller throws.
    private func awaitFlight(_ id: UInt64, deadline: Double, cancel: CancelToken, sharingErrors: Bool) throws(AuthError) {
        state.update { $0.waiters += 1 }
        let outcome = state.wait(until: deadline) { $0.waitOutcome(forFlight: id, cancelled: cancel.isCancelled) }
        state.update { $0.waiters -= 1 }
        guard let outcome else {
            throw AuthError(.timeout, "waited \(Int(waitBudget)) s for a refresh running in another thread")
        }
        if let error = ClientState.error(after: outcome, sharingErrors: sharingErrors, callerCancelled: cancel.isCancelled) {
            throw error
        }
    }

    /// Runs `flight` on this thread, no lock held, and publishes its result.
    private func run(_ flight: Flight, cancel: CancelToken) throws(AuthError) {
        let result = obtainPublication(flight, cancel: cancel)
        transition { $0.flightEnded(flight, result, now: clock.now()) }
        if case .failure(let error) = result { throw error }
    }

    private func startBackground(_ flight: Flight) {
        RefreshesAtExit.begin()
        let started = BackgroundThread.start { [self] in
            defer { RefreshesAtExit.end() }
            let result = obtainPublication(flight, cancel: cancelSource.token())
            transition { $0.flightEnded(flight, result, now: clock.now()) }
            if case .failure(let e) = result {
                logger.log(.warning, "background refresh failed, keeping the current token until it expires: \(e.message)")
            }
            logger.flush()
        }
        if !started {
            RefreshesAtExit.end()
            transition { $0.backgroundNotStarted(flight, now: clock.now()) }
        }
    }

    private func obtainPublication(_ flight: Flight, cancel: CancelToken) -> Result<Publication, AuthError> {
        do throws(AuthError) {
            return .success(publication(try obtain(flight, cancel: cancel)))
        } catch {
            return .failure(error)
        }
    }

    private func publication(_ obtained: Obtained) -> Publication {
        Publication(obtained, headerKey: headerKey.current ?? AuthParameters.defaultHeaderKey, policy: policy)
    }

    /// Applies a transition, wakes every waiter, and mirrors the generation for the C
    /// layer's lock-free check while the lock is held (so it never goes backwards).
    private func transition(_ body: (inout ClientState) -> Void) {
        state.update { s in
            body(&s)
            generation.store(s.generation, ordering: .releasing)
        }
    }

    // MARK: - Fork

    private func checkFork() throws(AuthError) {
        if isForked {
            throw AuthError(.forked, "this client was created before fork(); create a new client in the child process")
        }
    }

    /// Inline for the C layer's cached path.
    @inline(__always)
    public var isForked: Bool { (forkProbe?() ?? ForkDetection.current) != forkGeneration }

    static func bareToken(_ value: String) -> String {
        let trimmed = value.trimmingSpaces()
        if trimmed.lowercased().hasPrefix("bearer ") { return String(trimmed.dropFirst(7)).trimmingSpaces() }
        return trimmed
    }
}
