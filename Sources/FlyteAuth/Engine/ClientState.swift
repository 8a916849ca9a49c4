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
struct Flight: Sendable {
    let id: UInt64
    let kind: FlightKind
    /// The credentials in memory when it started.
    let previous: Credentials?
}

/// Everything about an `AuthClient` that changes, as one value behind one lock.
struct ClientState: Sendable {
    var current: Credentials?
    var source = "none"
    /// What `headers()` hands out; nil when there is nothing to hand out.
    var snapshot: HeaderSnapshot?
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

    mutating func beginFlight(_ kind: FlightKind) -> Flight {
        flightCounter += 1
        let f = Flight(id: flightCounter, kind: kind, previous: current)
        flight = f
        return f
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
}
