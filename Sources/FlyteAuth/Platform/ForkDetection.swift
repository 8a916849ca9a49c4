import Glibc
import Synchronization

/// Counts fork()s in this process's ancestry, so a client created before a fork can
/// refuse to run in the child (an inherited D-Bus connection would hang it).
/// Process-wide by nature; checked with one atomic load.
enum ForkDetection {
    private static let counter = Atomic<UInt64>(0)
    private static let registration: Void = {
        pthread_atfork(nil, nil, { ForkDetection.counter.add(1, ordering: .relaxed) })
    }()

    /// The current fork generation; registers the handler on first use.
    static func generation() -> UInt64 {
        _ = registration
        return counter.load(ordering: .relaxed)
    }

    @inline(__always)
    static var current: UInt64 { counter.load(ordering: .relaxed) }
}
