import FlyteAuthCore
import Glibc

/// A lock file held with flock(2): released by the kernel if the process dies, so a
/// crashed refresh never blocks the others.
struct FlockLock: CrossProcessLock {
    let path: String
    /// When set, a lock file that cannot be opened for writing (a read-only mount, a
    /// read-only HOME) means this is called and the body runs without the lock: the same
    /// as a lock directory that cannot be created, never a failed call.
    var whenUnavailable: (@Sendable (String) -> Void)? = nil

    func withLock<T>(timeout: Double, cancel: CancelToken?, _ body: () throws(AuthError) -> T) throws(AuthError) -> T {
        // A lock in a directory another user controls could be held by them forever;
        // a link or FIFO there was planted (FileTrust).
        try FileTrust.checkDirectory(FileTrust.directoryOf(path), what: "lock file \(path)")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o600)
        guard fd >= 0 else {
            let code = errno
            let why = "cannot open the lock file \(path): \(String(cString: strerror(code)))"
            if code == ELOOP { throw AuthError(.config, "refusing lock file \(path): it is a symbolic link, which this library never creates there") }
            if let whenUnavailable, [EACCES, EROFS, EPERM, ENOENT, ENOTDIR].contains(code) {
                whenUnavailable(why)
                return try body()
            }
            throw AuthError(.cache, why)
        }
        defer { close(fd) }
        try FileTrust.checkOpened(fd, path: path, kind: .privateFile, what: "lock file")
        let deadline = Clock.monotonic() + timeout
        // Polled (flock has no timeout): short sleeps, since a refresh holds the lock
        // for one IdP round trip (tens of ms) and every waiter wants the result at once.
        var pause = 0.001
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw AuthError(.cache, "cannot lock \(path): \(errnoText())")
            }
            if cancel?.isCancelled == true { throw AuthError(.cancelled, "cancelled while waiting for \(path)") }
            if Clock.monotonic() >= deadline {
                throw AuthError(.timeout, "another process held \(path) (refreshing or logging in) for more than \(CurlTransport.seconds(timeout)) (lock_timeout_seconds)")
            }
            var ts = timespec(tv_sec: 0, tv_nsec: Int(pause * 1e9))
            nanosleep(&ts, nil)
            pause = min(pause * 2, 0.01)
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
