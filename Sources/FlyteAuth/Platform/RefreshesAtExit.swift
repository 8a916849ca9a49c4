import Glibc
import Synchronization

/// A background refresh a process began ends before the process does. With rotating
/// refresh tokens a refresh cut off between the IdP's answer and the write to the cache
/// loses the only valid refresh token, and with it every tool's login: a one-shot
/// `flyteauth token` that noticed its token was getting old, a script that exits after
/// one call. An atexit handler waits for them, at most `bound` seconds (every step of a
/// refresh has its own timeout; this is the safety net).
enum RefreshesAtExit {
    static let bound: Double = 10
    /// The process id in the high half, its refreshes running in the low half: a forked
    /// child starts from zero (its parent's threads did not come with it).
    private static let state = Atomic<Int>(0)

    static func begin() {
        let pid = Int(getpid())
        var current = state.load(ordering: .sequentiallyConsistent)
        while true {
            let mine = current >> 32 == pid
            let next = mine ? current + 1 : pid << 32 | 1
            let (exchanged, found) = state.compareExchange(expected: current, desired: next, ordering: .sequentiallyConsistent)
            if exchanged {
                if !mine { atexit { RefreshesAtExit.drain() } }  // once per process
                return
            }
            current = found
        }
    }

    static func end() {
        let pid = Int(getpid())
        var current = state.load(ordering: .sequentiallyConsistent)
        while current >> 32 == pid && current & 0xFFFF_FFFF > 0 {
            let (exchanged, found) = state.compareExchange(expected: current, desired: current - 1, ordering: .sequentiallyConsistent)
            if exchanged { return }
            current = found
        }
    }

    private static func drain() {
        let pid = Int(getpid())
        let deadline = Clock.monotonic() + bound
        while true {
            let current = state.load(ordering: .sequentiallyConsistent)
            guard current >> 32 == pid, current & 0xFFFF_FFFF > 0, Clock.monotonic() < deadline else { return }
            var pause = timespec(tv_sec: 0, tv_nsec: 2_000_000)
            nanosleep(&pause, nil)
        }
    }
}
