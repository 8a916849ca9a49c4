/// A value that threads share, behind one mutex with a condition variable. Every access
/// is a `withLock { (inout Value) in ... }`; waiting releases the lock between checks,
/// so no access to the value ever spans a wait.
final class Guarded<Value: Sendable>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// Changes the value and wakes every waiter.
    @discardableResult
    func update<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer {
            lock.broadcast()
            lock.unlock()
        }
        return try body(&value)
    }

    /// Checks the value now and after every `update` until `check` returns a result, or
    /// until `deadline` (Clock.monotonic seconds), which returns nil.
    func wait<T>(until deadline: Double, _ check: (inout Value) -> T?) -> T? {
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let result = check(&value) { return result }
            if !lock.wait(until: deadline) && Clock.monotonic() >= deadline { return nil }
        }
    }
}
