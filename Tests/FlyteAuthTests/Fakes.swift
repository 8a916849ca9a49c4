@testable import FlyteAuth
import FlyteAuthCore
import Synchronization

// Fakes for driving AuthClient in-process: no network, no keyring, no processes, no
// real time. Threads are sequenced with conditions (Gate, Latch), never with sleeps.

/// A one-shot barrier: `open()` lets every `wait()` through, now and later.
final class Gate: Sendable {
    private let lock = ConditionLock()
    private let isOpen = Mutex(false)

    func open() {
        lock.withLock {
            isOpen.withLock { $0 = true }
            lock.broadcast()
        }
    }

    /// Waits until opened (a hang bound of 60 s, not a timing target).
    func wait() {
        lock.withLock {
            let end = Clock.monotonic() + 60
            while !isOpen.withLock({ $0 }) && Clock.monotonic() < end { lock.wait(until: end) }
        }
    }
}

/// Counts events and lets a thread wait until a number of them happened.
final class Latch: Sendable {
    private let lock = ConditionLock()
    private let count = Mutex(0)

    func signal() {
        lock.withLock {
            count.withLock { $0 += 1 }
            lock.broadcast()
        }
    }

    /// Waits until `n` signals arrived (a hang bound of 60 s, not a timing target).
    func wait(for n: Int) {
        lock.withLock {
            let end = Clock.monotonic() + 60
            while count.withLock({ $0 }) < n && Clock.monotonic() < end { lock.wait(until: end) }
        }
    }

    var value: Int { count.withLock { $0 } }
}

/// A wall clock that moves only when the test steps it.
final class FakeClock: EngineClock {
    private let time = Mutex<Double>(1_800_000_000)
    func now() -> Double { time.withLock { $0 } }
    func monotonic() -> Double { time.withLock { $0 } }
    func advance(by seconds: Double) { time.withLock { $0 += seconds } }
}

/// HTTP answers scripted per URL (the last one repeats), every request recorded, and a
/// request that can be held until the test releases it.
final class FakeTransport: HTTPTransport {
    enum Reply: Sendable {
        case json(Int, String)
        case failure(AuthError)
    }

    private struct Hold: Sendable {
        let gate: Gate
        let arrived: Latch
    }

    private struct State: Sendable {
        var replies: [String: [Reply]] = [:]
        var holds: [String: [Hold]] = [:]
        var requests: [HTTPRequest] = []
    }

    private let state = Mutex(State())

    /// Answers for `url`, in order; the last is repeated.
    func script(_ url: String, _ replies: Reply...) {
        state.withLock { $0.replies[url] = replies }
    }

    /// The next request to `url` blocks until the returned gate opens; `arrived` is
    /// signalled once it is blocked. When it is let go after its caller was cancelled it
    /// fails as curl does, with `.cancelled`.
    func hold(_ url: String) -> (gate: Gate, arrived: Latch) {
        let h = Hold(gate: Gate(), arrived: Latch())
        state.withLock { $0.holds[url, default: []].append(h) }
        return (h.gate, h.arrived)
    }

    func requests(to url: String) -> [HTTPRequest] { state.withLock { $0.requests.filter { $0.url == url } } }
    func count(_ url: String) -> Int { requests(to: url).count }

    func send(_ request: HTTPRequest, cancel: CancelToken?) throws(AuthError) -> HTTPResponse {
        let (reply, hold) = state.withLock { s -> (Reply?, Hold?) in
            s.requests.append(request)
            let hold = s.holds[request.url]?.isEmpty == false ? s.holds[request.url]!.removeFirst() : nil
            guard var queue = s.replies[request.url], let first = queue.first else { return (nil, hold) }
            if queue.count > 1 { queue.removeFirst(); s.replies[request.url] = queue }
            return (first, hold)
        }
        if let hold {
            hold.arrived.signal()
            hold.gate.wait()
            if cancel?.isCancelled == true { throw AuthError(.cancelled, "\(request.url): cancelled") }
        }
        switch reply {
        case .json(let status, let body)?:
            return HTTPResponse(status: status, headers: ["content-type": "application/json"], body: Array(body.utf8))
        case .failure(let error)?:
            throw error
        case nil:
            return HTTPResponse(status: 404, body: Array("no script for \(request.url)".utf8))
        }
    }
}

/// The shared cache of "every process": a token store and the lock that serialises
/// refreshes across processes. `whenLocked` runs each time the lock is taken, standing in
/// for another process that wrote the cache while this one waited for the lock.
final class MemoryStorage: Sendable {
    private struct State: Sendable {
        var credentials: Credentials?
        /// A cache tier's copy (the kernel key): what `load` serves when set, never what
        /// `loadAuthoritative` returns.
        var cacheTier: Credentials?
        var saves = 0
        var locks = 0
        var whenLocked: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())
    private let lockFile = ConditionLock()

    var credentials: Credentials? {
        get { state.withLock { $0.credentials } }
        set { state.withLock { $0.credentials = newValue } }
    }
    var cacheTier: Credentials? {
        get { state.withLock { $0.cacheTier } }
        set { state.withLock { $0.cacheTier = newValue } }
    }
    var saves: Int { state.withLock { $0.saves } }
    var locks: Int { state.withLock { $0.locks } }
    func whenLocked(_ body: (@Sendable () -> Void)?) { state.withLock { $0.whenLocked = body } }

    var factory: StorageFactory {
        { _, _, _, _ in Storage(store: Store(storage: self), lock: Lock(storage: self)) }
    }

    struct Store: TokenStore {
        let storage: MemoryStorage
        var name: String { "memory" }
        func load() throws(AuthError) -> Credentials? { storage.state.withLock { $0.cacheTier ?? $0.credentials } }
        func loadAuthoritative() throws(AuthError) -> AuthoritativeRead {
            AuthoritativeRead(credentials: storage.credentials, definitive: true)
        }
        func save(_ credentials: Credentials) throws(AuthError) {
            storage.state.withLock { $0.credentials = credentials; $0.cacheTier = nil; $0.saves += 1 }
        }
        func remove() throws(AuthError) { storage.credentials = nil }
    }

    struct Lock: CrossProcessLock {
        let storage: MemoryStorage
        func withLock<T>(timeout: Double, cancel: CancelToken?, _ body: () throws(AuthError) -> T) throws(AuthError) -> T {
            try storage.lockFile.withLock { () throws(AuthError) -> T in
                let hook = storage.state.withLock { s -> (@Sendable () -> Void)? in s.locks += 1; return s.whenLocked }
                hook?()
                return try body()
            }
        }
    }
}

/// A token command: prints the scripted tokens in turn; can be held like a request.
final class FakeRunner: ProcessRunning {
    private struct State: Sendable {
        var outputs: [String] = []
        var runs: [[String]] = []
        var hold: (gate: Gate, arrived: Latch)?
    }
    private let state = Mutex(State())

    func script(_ outputs: String...) { state.withLock { $0.outputs = outputs } }
    var runs: [[String]] { state.withLock { $0.runs } }

    func hold() -> (gate: Gate, arrived: Latch) {
        let h = (gate: Gate(), arrived: Latch())
        state.withLock { $0.hold = h }
        return h
    }

    func run(_ argv: [String], timeout: Double, cancel: CancelToken?) throws(AuthError) -> ProcessResult {
        let (output, hold) = state.withLock { s -> (String, (gate: Gate, arrived: Latch)?) in
            s.runs.append(argv)
            let h = s.hold
            s.hold = nil
            let out = s.outputs.first ?? ""
            if s.outputs.count > 1 { s.outputs.removeFirst() }
            return (out, h)
        }
        if let hold {
            hold.arrived.signal()
            hold.gate.wait()
            if cancel?.isCancelled == true { throw AuthError(.cancelled, "`\(argv.joined(separator: " "))` was cancelled") }
        }
        return ProcessResult(exitStatus: 0, signal: nil, stdout: Array((output + "\n").utf8), stderr: [])
    }
}

/// A process's fork generation, bumped by the test to play the child after fork().
final class FakeFork: Sendable {
    private let generation = Atomic<UInt64>(7)
    func fork() { generation.add(1, ordering: .relaxed) }
    var probe: @Sendable () -> UInt64 { { self.generation.load(ordering: .relaxed) } }
}

/// Runs `body` on `n` threads at once; returns their results in start order.
func onThreads<T: Sendable>(_ n: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let results = Mutex<[Int: T]>([:])
    let done = Latch()
    for i in 0..<n {
        let started = BackgroundThread.start {
            let r = body(i)
            results.withLock { $0[i] = r }
            done.signal()
        }
        precondition(started, "could not start a thread")
    }
    done.wait(for: n)
    return results.withLock { d in (0..<n).map { d[$0]! } }
}

/// A thread running `body`; `join()` waits for its result.
final class Spawned<T: Sendable>: Sendable {
    private let result = Mutex<T?>(nil)
    private let done = Latch()

    init(_ body: @escaping @Sendable () -> T) {
        let started = BackgroundThread.start { [self] in
            let r = body()
            result.withLock { $0 = r }
            done.signal()
        }
        precondition(started, "could not start a thread")
    }

    func join() -> T {
        done.wait(for: 1)
        return result.withLock { $0! }
    }
}

/// A call's outcome as a value threads can hand back.
enum Outcome: Sendable, Equatable {
    case token(String)
    case error(ErrorKind, String)

    init(_ body: () throws(AuthError) -> HeaderSnapshot) {
        do throws(AuthError) { self = .token(try body().accessToken) } catch { self = .error(error.kind, error.message) }
    }

    var kind: ErrorKind? { if case .error(let k, _) = self { return k } else { return nil } }
}
