import Glibc

/// A mutex with a condition variable whose waits take deadlines (monotonic clock).
/// Heap-allocated so the pthread objects never move.
public final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    @discardableResult
    public func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Waits for a broadcast or until `deadline` (Clock.monotonic seconds). Returns false
    /// on timeout. The lock must be held.
    @discardableResult
    public func wait(until deadline: Double) -> Bool {
        var ts = timespec()
        let clamped = min(deadline, Clock.monotonic() + 86_400)
        ts.tv_sec = Int(clamped)
        ts.tv_nsec = Int((clamped - Double(Int(clamped))) * 1e9)
        return pthread_cond_timedwait(cond, mutex, &ts) == 0
    }

    public func broadcast() { pthread_cond_broadcast(cond) }
}
