import Glibc

/// Wall-clock and monotonic time in seconds.
public enum Clock {
    /// UTC seconds since the epoch (token expiries are wall-clock).
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Cheap wall clock with a few milliseconds' resolution, for the cached-header path.
    @inline(__always)
    public static func coarseNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Seconds on a clock that never jumps, for deadlines.
    public static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Sleeps up to `seconds`, in slices, returning early when `stop` says so.
    public static func sleep(_ seconds: Double, until stop: () -> Bool) {
        let end = monotonic() + seconds
        while !stop() {
            let left = end - monotonic()
            if left <= 0 { return }
            let slice = min(left, 0.05)
            var ts = timespec(tv_sec: Int(slice), tv_nsec: Int((slice - Double(Int(slice))) * 1e9))
            nanosleep(&ts, nil)
        }
    }
}

/// The engine's time source, swappable so tests can step time: the wall clock decides
/// expiries and refresh points, the monotonic clock measures elapsed time.
public protocol EngineClock: Sendable {
    /// UTC seconds since the epoch.
    func now() -> Double
    /// Seconds on a clock that never jumps.
    func monotonic() -> Double
}

/// The system's clocks.
public struct SystemClock: EngineClock {
    public init() {}
    public func now() -> Double { Clock.now() }
    public func monotonic() -> Double { Clock.monotonic() }
}
