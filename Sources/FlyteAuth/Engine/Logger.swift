import FlyteAuthCore
import Glibc
import Synchronization

public enum LogLevel: Int32, Sendable, Comparable {
    case debug = 0
    case info, warning, error
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
    var name: String { ["debug", "info", "warning", "error"][Int(rawValue)] }
}

/// A client's log sink. Messages never carry secrets (callers pass descriptions only).
///
/// Lines are queued and handed to the sink by `flush()`, which the client calls as each
/// operation returns, when it holds no lock and runs no refresh: so a sink may call
/// back into the client. One thread delivers at a time (calls are serialised); a line
/// logged meanwhile is delivered by that thread before it returns.
public final class Logger: Sendable {
    public typealias Sink = @Sendable (LogLevel, String) -> Void

    private struct State: Sendable {
        var sink: Sink?
        var minimum: LogLevel = LogVerbosity.stderrMinimum ?? .error
        var warnedOnce: Set<String> = []
        var queue: [(LogLevel, String)] = []
        var dropped = 0
        /// The thread handing lines to the sink, if one is.
        var deliverer: pthread_t?
    }

    /// Lines waiting beyond this are counted, not kept (a sink that blocks for long).
    static let queueLimit = 1000
    private let state = Guarded(State())
    /// Whether lines wait: lets `flush()`, called after every operation, skip the lock.
    private let pending = Atomic<Bool>(false)

    public init() {}

    /// nil restores the default: stderr, from the level FLYTEAUTH_LOG names (warning). Returns once no call to
    /// the old sink is running, except when called from that sink itself
    /// (flyteauth_client_free relies on it).
    public func setSink(_ sink: Sink?, minimum: LogLevel) {
        state.update { s in
            s.sink = sink
            s.minimum = sink == nil ? LogVerbosity.stderrMinimum ?? .error : minimum
        }
        let me = pthread_self()
        _ = state.wait(until: .infinity) { s -> Bool? in
            guard let d = s.deliverer, pthread_equal(d, me) == 0 else { return true }
            return nil
        }
    }

    /// Queues a line; delivered by the next `flush()`.
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String) {
        state.withLock { s in
            guard level >= s.minimum else { return }
            // One line, whatever a server said.
            if s.queue.count < Logger.queueLimit { s.queue.append((level, ServerText.escapingControls(message()))) } else { s.dropped += 1 }
            pending.store(true, ordering: .releasing)
        }
    }

    /// Logs a warning the first time `key` is seen on this client.
    public func warnOnce(_ key: String, _ message: @autoclosure () -> String) {
        let first = state.withLock { $0.warnedOnce.insert(key).inserted }
        if first { log(.warning, message()) }
    }

    /// Hands queued lines to the sink. Call with no lock held: the sink may call back.
    public func flush() {
        // A line queued by another thread right now is delivered by that thread's flush.
        guard pending.load(ordering: .acquiring) else { return }
        let me = pthread_self()
        let deliver = state.withLock { s -> Bool in
            guard s.deliverer == nil, !s.queue.isEmpty || s.dropped > 0 else { return false }
            s.deliverer = me
            return true
        }
        guard deliver else { return }
        while let (sink, level, text) = nextLine() {
            if let sink {
                sink(level, text)
            } else if LogVerbosity.stderrMinimum != nil {
                Logger.writeStderr("flyteauth: \(level.name): \(text)\n")
            }
        }
    }

    /// The next line and the sink to give it to; nil (and delivery ends) when none is left.
    private func nextLine() -> (Sink?, LogLevel, String)? {
        state.update { s -> (Sink?, LogLevel, String)? in
            if !s.queue.isEmpty {
                let (level, text) = s.queue.removeFirst()
                return (s.sink, level, text)
            }
            if s.dropped > 0 {
                defer { s.dropped = 0 }
                return (s.sink, .warning, "\(s.dropped) log lines were dropped (the log callback did not keep up)")
            }
            s.deliverer = nil
            pending.store(false, ordering: .releasing)
            return nil
        }
    }

    /// Swift 6 rejects the global `stderr`; write to fd 2 directly.
    public static func writeStderr(_ text: String) { write(text, to: 2) }

    /// All of `text` to `fd`, retrying short writes and EINTR.
    public static func write(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(n)
        }
    }
}
