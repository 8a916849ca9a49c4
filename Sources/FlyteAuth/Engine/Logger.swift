import FlyteAuthCore
import Glibc

public enum LogLevel: Int32, Sendable, Comparable {
    case debug = 0, info, warning, error
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
    var name: String { ["debug", "info", "warning", "error"][Int(rawValue)] }
}

/// A client's log sink. Messages never carry secrets (callers pass descriptions only).
public final class Logger: @unchecked Sendable {
    public typealias Sink = @Sendable (LogLevel, String) -> Void
    private let lock = ConditionLock()
    private var sink: Sink?
    private var minimum: LogLevel = LogVerbosity.stderrMinimum ?? .error
    private var warnedOnce: Set<String> = []

    public init() {}

    /// nil restores the default: stderr, from the level FLYTEAUTH_LOG names (warning).
    public func setSink(_ sink: Sink?, minimum: LogLevel) {
        lock.withLock {
            self.sink = sink
            self.minimum = sink == nil ? LogVerbosity.stderrMinimum ?? .error : minimum
        }
    }

    /// A host sink is called with the lock held, so `setSink(nil)` returns only once no
    /// call to the old sink is running (flyteauth_client_free relies on it).
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String) {
        lock.lock()
        defer { lock.unlock() }
        guard level >= minimum else { return }
        let text = message()
        if let sink { sink(level, text) } else if LogVerbosity.stderrMinimum != nil {
            Logger.writeStderr("flyteauth: \(level.name): \(text)\n")
        }
    }

    /// Logs a warning the first time `key` is seen on this client.
    public func warnOnce(_ key: String, _ message: @autoclosure () -> String) {
        let first = lock.withLock { warnedOnce.insert(key).inserted }
        if first { log(.warning, message()) }
    }

    /// Swift 6 rejects the global `stderr`; write to fd 2 directly.
    public static func writeStderr(_ text: String) { write(text, to: 2) }

    /// All of `text` to `fd`, retrying short writes and EINTR.
    public static func write(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { if errno == EINTR { continue }; return }
            bytes = bytes.dropFirst(n)
        }
    }
}
