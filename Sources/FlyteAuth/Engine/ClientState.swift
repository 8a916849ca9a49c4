import FlyteAuthCore

/// Why a flight (one attempt to get new credentials) runs; decides what it may reuse.
enum FlightKind: Sendable, Equatable {
    /// The token is stale: anything fresh (memory, the shared cache) will do.
    case refreshIfStale
    /// The server rejected `token`; nil: the caller wants a new token without naming
    /// one (`refresh(rejected: nil)`), so only a token newer than ours may be reused.
    case afterRejection(String?)
    /// Run the flow, reusing nothing.
    case login
    /// Ahead of expiry, on a background thread: never asks a person.
    case background

    var rejected: String? {
        if case .afterRejection(let token) = self { return token }
        return nil
    }

    /// Whether the proxy token is renewed too.
    var isForced: Bool {
        switch self {
        case .afterRejection, .login: return true
        case .refreshIfStale, .background: return false
        }
    }

    /// Whether a fresh token in the shared cache is good enough without the lock.
    var acceptsCachedToken: Bool { self == .refreshIfStale || self == .background }
}

/// One running flight and what it started from.
struct Flight: Sendable, Equatable {
    let id: UInt64
    let kind: FlightKind
    /// The credentials in memory when it started.
    let previous: Credentials?
}

/// What a caller of `AuthClient` asked for.
enum ClientRequest: Sendable, Equatable {
    /// `headers()`: the current headers, refreshed when stale.
    case headers
    /// `refresh(rejected:)`: the server refused this (bare) token; nil forces a request.
    case refresh(rejected: String?)
    /// `login()`: run the flow even when a token is cached.
    case login
}

/// One call's progress, kept by the caller from one transition to the next.
struct ClientCall: Sendable, Equatable {
    enum Phase: Sendable, Equatable {
        case starting
        /// The flight it waited for ended without an error for this caller.
        case waited
        /// Its own flight succeeded.
        case ranFlight
    }

    let request: ClientRequest
    private(set) var phase = Phase.starting

    init(_ request: ClientRequest) { self.request = request }

    mutating func flightRan() { phase = .ranFlight }

    /// A caller that ran its own flight remembers it across later waits.
    mutating func waitEnded() { if phase != .ranFlight { phase = .waited } }
}

/// What the caller does next; decided under the lock, done outside it.
enum ClientAction: Sendable {
    /// Return these headers.
    case serve(HeaderSnapshot)
    /// Start `Flight` on a background thread and return the still-valid headers.
    case startBackground(Flight, serving: HeaderSnapshot)
    /// Wait until the flight with this id ends; then ask again. With `sharingErrors`,
    /// its failure is the caller's failure.
    case wait(forFlight: UInt64, sharingErrors: Bool)
    /// Run `Flight` on the caller's thread; then ask again.
    case run(Flight)
    /// Throw.
    case fail(AuthError)
}

/// How a wait for a flight ended.
enum WaitOutcome: Sendable, Equatable {
    /// The flight ended; its error when it failed.
    case finished(AuthError?)
    /// The waiting caller was cancelled.
    case cancelled
}

/// New credentials, ready to be handed out (all but their generation).
struct Publication: Sendable {
    let credentials: Credentials
    let source: TokenSource
    let headers: [(key: String, value: String)]
    let softDeadline: Double
    let hardDeadline: Double

    /// The authorization header (and the proxy's, when there is one) for `obtained`.
    init(_ obtained: Obtained, headerKey: String, policy: RefreshPolicy) {
        let credentials = obtained.credentials
        var headers = [(key: headerKey, value: credentials.headerValue)]
        var soft = policy.softDeadline(for: credentials)
        var hard = policy.hardDeadline(for: credentials)
        if let proxyHeader = obtained.proxyHeader {
            headers.append((key: "proxy-authorization", value: proxyHeader.value))
            soft = min(soft, proxyHeader.softDeadline)
            hard = min(hard, proxyHeader.hardDeadline)
        }
        self.credentials = credentials
        self.source = obtained.source
        self.headers = headers
        self.softDeadline = soft
        self.hardDeadline = hard
    }
}

/// Everything about an `AuthClient` that changes, as one value behind one lock, and its
/// transitions. Each transition is a mutating method that returns what the caller does
/// next (`ClientAction`); none does I/O, reads a clock or blocks, so each is tested as a
/// table of state, input and action (ClientStateTests).
struct ClientState: Sendable {
    var current: Credentials?
    var source = TokenSource.none
    /// What `headers()` hands out; nil when there is nothing to hand out.
    var snapshot: HeaderSnapshot?
    /// Bumped whenever `snapshot` changes; `AuthClient` mirrors it for the C layer.
    private(set) var generation: UInt64 = 1
    var flight: Flight?
    var lastFlight: (id: UInt64, error: AuthError?) = (0, nil)
    var flightCounter: UInt64 = 0
    /// No background refresh before then (wall clock), after one failed.
    var nextBackgroundAttempt: Double = 0
    /// Tokens a server rejected recently: never handed out again.
    var rejectedTokens: [String] = []
    /// Refresh tokens the IdP refused: never sent again.
    var refusedRefreshTokens: [String] = []
    /// The refusal, carried by the login-required errors that follow it.
    var refusal: AuthError?
    /// Callers blocked waiting for a flight (for tests and diagnostics).
    var waiters = 0

    /// Seconds between background refresh attempts after one failed.
    static let backgroundRetryDelay: Double = 5

    // MARK: - Calls

    /// The next step of `call` at wall-clock time `now`.
    mutating func next(_ call: ClientCall, now: Double) -> ClientAction {
        switch call.request {
        case .headers: return nextForHeaders(call.phase, now: now)
        case .refresh(let rejected): return nextForRefresh(rejected, call.phase, now: now)
        case .login: return nextForLogin(call.phase)
        }
    }

    /// A valid snapshot is served; past its soft deadline it is served while one
    /// background flight runs; past its hard deadline the caller waits for the flight in
    /// progress or runs one.
    private mutating func nextForHeaders(_ phase: ClientCall.Phase, now: Double) -> ClientAction {
        if let snapshot {
            if now < snapshot.softDeadline { return .serve(snapshot) }
            if now < snapshot.hardDeadline {
                if flight == nil && now >= nextBackgroundAttempt {
                    return .startBackground(beginFlight(.background), serving: snapshot)
                }
                return .serve(snapshot)
            }
        }
        if let flight { return .wait(forFlight: flight.id, sharingErrors: true) }
        if phase == .ranFlight {
            // Our own flight produced a token that is already past its hard deadline.
            return snapshot.map(ClientAction.serve) ?? .fail(AuthError(.internal, "refresh produced no token"))
        }
        return .run(beginFlight(.refreshIfStale))
    }

    /// Someone else may have replaced the rejected token already; else join the flight
    /// in progress or run one that never hands the rejected token out again.
    private mutating func nextForRefresh(_ rejected: String?, _ phase: ClientCall.Phase, now: Double) -> ClientAction {
        switch phase {
        case .ranFlight:
            return snapshot.map(ClientAction.serve) ?? .fail(AuthError(.internal, "refresh produced no token"))
        case .waited where rejected == nil:
            // A forced refresh joins the running one.
            if let snapshot { return .serve(snapshot) }
        case .starting, .waited:
            break
        }
        if let rejected, let snapshot, snapshot.accessToken != rejected, now < snapshot.hardDeadline {
            return .serve(snapshot)
        }
        if let flight { return .wait(forFlight: flight.id, sharingErrors: true) }
        if let rejected { reject(rejected) }
        return .run(beginFlight(.afterRejection(rejected)))
    }

    /// A login replaces whatever a running refresh produces: it waits for it, ignoring
    /// its result, then runs its own flight.
    private mutating func nextForLogin(_ phase: ClientCall.Phase) -> ClientAction {
        if phase == .ranFlight {
            return snapshot.map(ClientAction.serve) ?? .fail(AuthError(.internal, "login produced no token"))
        }
        if let flight { return .wait(forFlight: flight.id, sharingErrors: false) }
        return .run(beginFlight(.login))
    }

    // MARK: - Flights

    private mutating func beginFlight(_ kind: FlightKind) -> Flight {
        flightCounter += 1
        let f = Flight(id: flightCounter, kind: kind, previous: current)
        flight = f
        return f
    }

    /// A flight ended (run by a caller or in the background). Whoever applies this wakes
    /// every waiter, on failure as on success.
    mutating func flightEnded(_ flight: Flight, _ result: Result<Publication, AuthError>, now: Double) {
        switch result {
        case .success(let publication):
            publish(publication)
            lastFlight = (flight.id, nil)
        case .failure(let error):
            lastFlight = (flight.id, error)
            if flight.kind == .background {
                // Keep handing out the still-valid token; try again a little later.
                nextBackgroundAttempt = now + ClientState.backgroundRetryDelay
            }
            if let rejected = flight.kind.rejected, snapshot?.accessToken == rejected {
                // The server refused it: failing to replace it must not bring it back.
                snapshot = nil
                generation += 1
            }
        }
        if self.flight?.id == flight.id { self.flight = nil }
    }

    /// A background flight's thread could not be started.
    mutating func backgroundNotStarted(_ flight: Flight, now: Double) {
        if self.flight?.id == flight.id { self.flight = nil }
        nextBackgroundAttempt = now + ClientState.backgroundRetryDelay
    }

    /// Whether a caller waiting for flight `id` stops waiting: nil to keep waiting.
    func waitOutcome(forFlight id: UInt64, cancelled: Bool) -> WaitOutcome? {
        if flight?.id != id { return .finished(lastFlight.id == id ? lastFlight.error : nil) }
        return cancelled ? .cancelled : nil
    }

    /// The error a waiting caller throws when its wait ended with `outcome`, or nil when
    /// it asks again. A flight stopped by a cancel that came before this caller began is
    /// not this caller's failure: it runs its own flight.
    static func error(after outcome: WaitOutcome, sharingErrors: Bool, callerCancelled: Bool) -> AuthError? {
        switch outcome {
        case .cancelled: return AuthError(.cancelled, "cancelled while waiting for a refresh")
        case .finished(let error):
            guard sharingErrors, let error else { return nil }
            if error.kind == .cancelled && !callerCancelled { return nil }
            return error
        }
    }

    // MARK: - Credentials from elsewhere

    /// The host supplied a token (passthrough).
    mutating func hostSupplied(_ publication: Publication) {
        rejectedTokens.removeAll { $0 == publication.credentials.accessToken }
        publish(publication)
    }

    /// Forgets the credentials in memory.
    mutating func loggedOut() {
        current = nil
        snapshot = nil
        source = .none
        generation += 1
    }

    mutating func reject(_ token: String) {
        guard !rejectedTokens.contains(token) else { return }
        rejectedTokens.append(token)
        if rejectedTokens.count > 8 { rejectedTokens.removeFirst() }
    }

    mutating func refuse(_ refreshToken: String, _ error: AuthError) {
        if !refusedRefreshTokens.contains(refreshToken) {
            refusedRefreshTokens.append(refreshToken)
            if refusedRefreshTokens.count > 8 { refusedRefreshTokens.removeFirst() }
        }
        refusal = error
        if current?.refreshToken == refreshToken { current?.refreshToken = nil }
    }

    private mutating func publish(_ p: Publication) {
        current = p.credentials
        source = p.source
        refusal = nil
        generation += 1
        snapshot = HeaderSnapshot(
            headers: p.headers, accessToken: p.credentials.accessToken,
            expiresAt: p.credentials.expiresAt, softDeadline: p.softDeadline,
            hardDeadline: p.hardDeadline, generation: generation)
    }
}
