import FlyteAuthCore
import Testing

@testable import FlyteAuth

/// `ClientState`'s transitions as tables: a state, a call, a time, and the action the
/// engine performs next. No threads, no clocks, no I/O.
@Suite struct ClientStateTests {
    /// A snapshot of token `token` whose soft deadline is 100 and hard deadline 200.
    static func snapshot(_ token: String) -> HeaderSnapshot {
        HeaderSnapshot(
            headers: [(key: "authorization", value: "Bearer " + token)], accessToken: token,
            expiresAt: 210, softDeadline: 100, hardDeadline: 200, generation: 1)
    }

    struct Given: Sendable {
        var token: String?
        var flight: FlightKind?
        var nextBackgroundAttempt: Double = 0

        var state: ClientState {
            var s = ClientState()
            s.snapshot = token.map(ClientStateTests.snapshot)
            s.current = token.map { Credentials(accessToken: $0, expiresAt: 210, obtainedAt: 0) }
            if let flight {
                s.flightCounter = 7
                s.flight = Flight(id: 7, kind: flight, previous: nil)
            }
            s.nextBackgroundAttempt = nextBackgroundAttempt
            return s
        }
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        let given: Given
        let request: ClientRequest
        var phase = ClientCall.Phase.starting
        let now: Double
        let expected: String
        var testDescription: String { name }
    }

    /// A readable form of an action, for the tables.
    static func describe(_ action: ClientAction) -> String {
        switch action {
        case .serve(let s): return "serve \(s.accessToken)"
        case .startBackground(let f, let s): return "background \(f.kind) serving \(s.accessToken)"
        case .wait(let id, let sharing): return "wait \(id)" + (sharing ? "" : " ignoring its error")
        case .run(let f): return "run \(f.kind)"
        case .fail(let e): return "fail \(e.kind): \(e.message)"
        }
    }

    static func call(_ request: ClientRequest, _ phase: ClientCall.Phase) -> ClientCall {
        var call = ClientCall(request)
        switch phase {
        case .starting: break
        case .waited: call.waitEnded()
        case .ranFlight: call.flightRan()
        }
        return call
    }

    static let rows: [Row] = [
        // headers()
        Row(
            name: "a fresh token is served", given: Given(token: "a"), request: .headers, now: 50,
            expected: "serve a"),
        Row(
            name: "past the soft deadline one background flight starts", given: Given(token: "a"), request: .headers,
            now: 150, expected: "background background serving a"),
        Row(
            name: "past the soft deadline with a flight running: served", given: Given(token: "a", flight: .background),
            request: .headers, now: 150, expected: "serve a"),
        Row(
            name: "no background flight before the retry time",
            given: Given(token: "a", nextBackgroundAttempt: 160), request: .headers, now: 150, expected: "serve a"),
        Row(
            name: "a background flight again at the retry time",
            given: Given(token: "a", nextBackgroundAttempt: 150), request: .headers, now: 150,
            expected: "background background serving a"),
        Row(
            name: "past the hard deadline the caller waits for the flight",
            given: Given(token: "a", flight: .background), request: .headers, now: 200, expected: "wait 7"),
        Row(
            name: "past the hard deadline the caller runs a flight", given: Given(token: "a"), request: .headers,
            now: 200, expected: "run refreshIfStale"),
        Row(
            name: "no token: the caller runs a flight", given: Given(), request: .headers, now: 0,
            expected: "run refreshIfStale"),
        Row(
            name: "no token after waiting: the caller runs its own flight", given: Given(), request: .headers,
            phase: .waited, now: 0, expected: "run refreshIfStale"),
        Row(
            name: "its own flight's token is served even when already stale", given: Given(token: "a"),
            request: .headers, phase: .ranFlight, now: 300, expected: "serve a"),
        Row(
            name: "its own flight left no token", given: Given(), request: .headers, phase: .ranFlight, now: 0,
            expected: "fail internal: refresh produced no token"),
        // refresh(rejected:)
        Row(
            name: "the rejected token was replaced already", given: Given(token: "b"),
            request: .refresh(rejected: "a"), now: 150, expected: "serve b"),
        Row(
            name: "a replacement past its hard deadline is not served", given: Given(token: "b"),
            request: .refresh(rejected: "a"), now: 200, expected: "run afterRejection(Optional(\"a\"))"),
        Row(
            name: "the current token was rejected", given: Given(token: "a"), request: .refresh(rejected: "a"),
            now: 50, expected: "run afterRejection(Optional(\"a\"))"),
        Row(
            name: "a rejection joins the flight in progress", given: Given(token: "a", flight: .background),
            request: .refresh(rejected: "a"), now: 50, expected: "wait 7"),
        Row(
            name: "after waiting, a still-rejected token is replaced", given: Given(token: "a"),
            request: .refresh(rejected: "a"), phase: .waited, now: 50, expected: "run afterRejection(Optional(\"a\"))"),
        Row(
            name: "a forced refresh runs even with a fresh token", given: Given(token: "a"),
            request: .refresh(rejected: nil), now: 50, expected: "run afterRejection(nil)"),
        Row(
            name: "a forced refresh joins the running flight", given: Given(token: "a", flight: .login),
            request: .refresh(rejected: nil), now: 50, expected: "wait 7"),
        Row(
            name: "a forced refresh serves what the flight it joined produced", given: Given(token: "a"),
            request: .refresh(rejected: nil), phase: .waited, now: 50, expected: "serve a"),
        Row(
            name: "a forced refresh whose joined flight left no token runs one", given: Given(),
            request: .refresh(rejected: nil), phase: .waited, now: 50, expected: "run afterRejection(nil)"),
        Row(
            name: "a refresh serves its own flight's token", given: Given(token: "b"),
            request: .refresh(rejected: "a"), phase: .ranFlight, now: 300, expected: "serve b"),
        Row(
            name: "a refresh whose flight left no token fails", given: Given(), request: .refresh(rejected: "a"),
            phase: .ranFlight, now: 0, expected: "fail internal: refresh produced no token"),
        // login()
        Row(
            name: "a login runs even with a fresh token", given: Given(token: "a"), request: .login, now: 50,
            expected: "run login"),
        Row(
            name: "a login waits for a running flight, ignoring its error",
            given: Given(token: "a", flight: .refreshIfStale), request: .login, now: 50,
            expected: "wait 7 ignoring its error"),
        Row(
            name: "a login runs its own flight after waiting", given: Given(token: "a"), request: .login,
            phase: .waited, now: 50, expected: "run login"),
        Row(
            name: "a login serves its own flight's token", given: Given(token: "a"), request: .login,
            phase: .ranFlight, now: 300, expected: "serve a"),
        Row(
            name: "a login whose flight left no token fails", given: Given(), request: .login, phase: .ranFlight,
            now: 0, expected: "fail internal: login produced no token"),
    ]

    @Test(arguments: rows) func nextAction(_ row: Row) {
        var s = row.given.state
        let action = s.next(ClientStateTests.call(row.request, row.phase), now: row.now)
        #expect(ClientStateTests.describe(action) == row.expected)
        // A flight is recorded exactly when one is started.
        switch action {
        case .run(let f), .startBackground(let f, _):
            #expect(s.flight == f)
            #expect(f.id == s.flightCounter && f.id == (row.given.flight == nil ? 1 : 8))
            #expect(f.previous == row.given.state.current)
        case .serve, .wait, .fail:
            #expect(s.flight == row.given.state.flight)
        }
    }

    @Test func aRejectedTokenIsRememberedOnlyWhenItsFlightStarts() {
        var s = Given(token: "a", flight: .background).state
        _ = s.next(ClientCall(.refresh(rejected: "a")), now: 50)
        #expect(s.rejectedTokens.isEmpty)
        s.flight = nil
        _ = s.next(ClientCall(.refresh(rejected: "a")), now: 50)
        #expect(s.rejectedTokens == ["a"])
        _ = s.next(ClientCall(.refresh(rejected: "a")), now: 50)
        #expect(s.rejectedTokens == ["a"])
    }

    @Test func aCallThatRanItsFlightRemembersItAcrossWaits() {
        var call = ClientCall(.headers)
        call.flightRan()
        call.waitEnded()
        #expect(call.phase == .ranFlight)
    }

    // MARK: - Flights ending

    static func publication(_ token: String, proxy: ProxyAuthorization.Header? = nil) -> Publication {
        let credentials = Credentials(accessToken: token, expiresAt: 1000, obtainedAt: 0)
        return Publication(
            Obtained(credentials: credentials, source: .idp, proxyHeader: proxy),
            headerKey: "flyte-authorization", policy: RefreshPolicy(window: 300))
    }

    @Test func aSuccessfulFlightPublishesANewGeneration() {
        var s = Given(token: "a").state
        s.refusal = AuthError(.oauth, "refused")
        guard case .run(let flight) = s.next(ClientCall(.headers), now: 300) else {
            Issue.record("no flight")
            return
        }
        s.flightEnded(flight, .success(ClientStateTests.publication("b")), now: 300)
        #expect(s.snapshot?.accessToken == "b")
        #expect(s.snapshot?.generation == 2 && s.generation == 2)
        #expect(s.snapshot?.headers.map(\.key) == ["flyte-authorization"])
        #expect(s.snapshot?.softDeadline == 700 && s.snapshot?.hardDeadline == 990)
        #expect(s.current?.accessToken == "b" && s.source == .idp)
        #expect(s.refusal == nil)
        #expect(s.flight == nil)
        #expect(s.lastFlight.id == flight.id && s.lastFlight.error == nil)
    }

    @Test func aProxyHeaderIsCarriedAndItsDeadlinesBind() {
        let p = ClientStateTests.publication("b", proxy: .init(value: "Bearer proxy", softDeadline: 50, hardDeadline: 60))
        #expect(p.headers.map(\.key) == ["flyte-authorization", "proxy-authorization"])
        #expect(p.softDeadline == 50 && p.hardDeadline == 60)
    }

    @Test func aFailedBackgroundFlightKeepsTheTokenAndWaitsBeforeTheNext() {
        var s = Given(token: "a").state
        guard case .startBackground(let flight, _) = s.next(ClientCall(.headers), now: 150) else {
            Issue.record("no background flight")
            return
        }
        let error = AuthError(.network, "down")
        s.flightEnded(flight, .failure(error), now: 150)
        #expect(s.snapshot?.accessToken == "a" && s.generation == 1)
        #expect(s.lastFlight.id == flight.id && s.lastFlight.error == error)
        #expect(s.nextBackgroundAttempt == 150 + ClientState.backgroundRetryDelay)
        #expect(ClientStateTests.describe(s.next(ClientCall(.headers), now: 151)) == "serve a")
    }

    @Test func aFailedReplacementOfARejectedTokenNeverBringsItBack() {
        var s = Given(token: "a").state
        guard case .run(let flight) = s.next(ClientCall(.refresh(rejected: "a")), now: 50) else {
            Issue.record("no flight")
            return
        }
        s.flightEnded(flight, .failure(AuthError(.network, "down")), now: 50)
        #expect(s.snapshot == nil && s.generation == 2)
        #expect(ClientStateTests.describe(s.next(ClientCall(.headers), now: 50)) == "run refreshIfStale")
    }

    @Test func aStaleFlightEndingLeavesTheCurrentFlight() {
        var s = Given(token: "a", flight: .login).state
        s.flightEnded(Flight(id: 3, kind: .background, previous: nil), .failure(AuthError(.network, "down")), now: 0)
        #expect(s.flight?.id == 7)
        #expect(s.lastFlight.id == 3)
    }

    @Test func aBackgroundThreadThatCouldNotStart() {
        var s = Given(token: "a").state
        guard case .startBackground(let flight, _) = s.next(ClientCall(.headers), now: 150) else {
            Issue.record("no background flight")
            return
        }
        s.backgroundNotStarted(flight, now: 150)
        #expect(s.flight == nil && s.nextBackgroundAttempt == 155)
    }

    @Test func logoutAndAHostTokenChangeTheGeneration() {
        var s = Given(token: "a").state
        s.reject("b")
        s.hostSupplied(ClientStateTests.publication("b"))
        #expect(s.rejectedTokens.isEmpty && s.snapshot?.accessToken == "b" && s.generation == 2)
        s.loggedOut()
        #expect(s.snapshot == nil && s.current == nil && s.source == .none && s.generation == 3)
    }

    // MARK: - Waiting

    struct WaitRow: Sendable, CustomTestStringConvertible {
        let name: String
        let running: UInt64?
        let last: (UInt64, AuthError?)
        let cancelled: Bool
        let expected: WaitOutcome?
        var testDescription: String { name }
    }

    static let waitRows: [WaitRow] = [
        WaitRow(name: "still running", running: 7, last: (6, nil), cancelled: false, expected: nil),
        WaitRow(name: "cancelled while it runs", running: 7, last: (6, nil), cancelled: true, expected: .cancelled),
        WaitRow(name: "finished", running: nil, last: (7, nil), cancelled: false, expected: .finished(nil)),
        WaitRow(
            name: "finished with an error", running: nil, last: (7, AuthError(.network, "down")), cancelled: true,
            expected: .finished(AuthError(.network, "down"))),
        WaitRow(
            name: "another flight followed it", running: 8, last: (6, AuthError(.network, "down")),
            cancelled: false, expected: .finished(nil)),
    ]

    @Test(arguments: waitRows) func waitingForAFlight(_ row: WaitRow) {
        var s = ClientState()
        s.flight = row.running.map { Flight(id: $0, kind: .refreshIfStale, previous: nil) }
        s.lastFlight = row.last
        #expect(s.waitOutcome(forFlight: 7, cancelled: row.cancelled) == row.expected)
    }

    @Test func whatAWaiterThrows() {
        let down = AuthError(.network, "down")
        let cancelled = AuthError(.cancelled, "cancelled")
        #expect(ClientState.error(after: .finished(down), sharingErrors: true, callerCancelled: false) == down)
        #expect(ClientState.error(after: .finished(down), sharingErrors: false, callerCancelled: false) == nil)
        #expect(ClientState.error(after: .finished(nil), sharingErrors: true, callerCancelled: false) == nil)
        // Someone else's cancel is not this caller's failure; its own is.
        #expect(ClientState.error(after: .finished(cancelled), sharingErrors: true, callerCancelled: false) == nil)
        #expect(ClientState.error(after: .finished(cancelled), sharingErrors: true, callerCancelled: true) == cancelled)
        #expect(ClientState.error(after: .cancelled, sharingErrors: false, callerCancelled: true)?.kind == .cancelled)
    }
}
