import CSystem
import FlyteAuthCore
import Glibc

/// The outcome of one command run.
public struct ProcessResult: Sendable {
    public var exitStatus: Int32
    /// Set when a signal ended the process.
    public var signal: Int32?
    public var stdout: [UInt8]
    public var stderr: [UInt8]
}

/// Runs a command. The engine's only way to start processes, so tests can swap it.
public protocol ProcessRunning: Sendable {
    func run(_ argv: [String], timeout: Double, cancel: CancelToken?) throws(AuthError) -> ProcessResult
}

/// posix_spawn without a shell, stdin from /dev/null, stdout and stderr captured (1 MiB
/// each at most), the whole process group killed when the deadline passes.
public struct SpawnProcessRunner: ProcessRunning {
    public static let outputLimit = 1 << 20

    public init() {}

    public func run(_ argv: [String], timeout: Double, cancel: CancelToken?) throws(AuthError) -> ProcessResult {
        guard let program = argv.first, !program.isEmpty else {
            throw AuthError(.config, "Command cannot be empty for command authenticator")
        }
        let name = SpawnProcessRunner.display(argv)
        try CommandRecursion.checkDepth(argv)
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard fa_pipe_cloexec(&outPipe) == 0 else { throw AuthError(.command, "`\(name)`: pipe: \(errnoText())") }
        guard fa_pipe_cloexec(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw AuthError(.command, "`\(name)`: pipe: \(errnoText())")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Its own process group, so a timeout kills what it started too; default signal
        // handling and an empty mask whatever the host (Python, Go) set up.
        var defaults = sigset_t(), empty = sigset_t()
        sigfillset(&defaults)
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var cEnv: [UnsafeMutablePointer<CChar>?] = CommandRecursion.childEnvironment().map { strdup($0) } + [nil]
        defer { for p in cEnv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, program, &actions, &attr, &cArgs, &cEnv)
        close(outPipe[1]); close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw AuthError(.command, "`\(name)` could not be started: \(String(cString: strerror(rc)))")
        }

        var out: [UInt8] = [], err: [UInt8] = []
        var fds = [pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0),
                   pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)]
        let deadline = Clock.monotonic() + timeout
        var timedOut = false, cancelled = false
        var buffer = [UInt8](repeating: 0, count: 16384)
        while fds.contains(where: { $0.fd >= 0 }) {
            if cancel?.isCancelled == true { cancelled = true; break }
            let left = deadline - Clock.monotonic()
            if left <= 0 { timedOut = true; break }
            let n = poll(&fds, nfds_t(fds.count), Int32(min(left, 0.1) * 1000) + 1)
            if n < 0 && errno != EINTR { break }
            for i in fds.indices where fds[i].fd >= 0 && fds[i].revents != 0 {
                let got = read(fds[i].fd, &buffer, buffer.count)
                if got > 0 {
                    if i == 0 { if out.count < SpawnProcessRunner.outputLimit { out += buffer[0..<got] } }
                    else if err.count < SpawnProcessRunner.outputLimit { err += buffer[0..<got] }
                } else if got == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(fds[i].fd)
                    fds[i].fd = -1
                }
            }
        }
        for f in fds where f.fd >= 0 { close(f.fd) }
        if timedOut || cancelled { kill(-pid, SIGKILL); kill(pid, SIGKILL) }
        // Output closed (or killed): the exit follows promptly, but never wait unbounded.
        var status: Int32 = 0
        let reapDeadline = Clock.monotonic() + 5
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno != EINTR) { break }
            if Clock.monotonic() > reapDeadline {
                kill(-pid, SIGKILL); kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            var ts = timespec(tv_sec: 0, tv_nsec: 2_000_000)
            nanosleep(&ts, nil)
        }
        if cancelled { throw AuthError(.cancelled, "`\(name)` was cancelled") }
        if timedOut {
            throw AuthError(.timeout, "Failed to refresh token with command `\(name)`: no result within \(CurlTransport.seconds(timeout)) (command_timeout_seconds); the process was killed")
        }
        let exited = status & 0x7f == 0
        return ProcessResult(exitStatus: exited ? (status >> 8) & 0xff : -1,
                             signal: exited ? nil : status & 0x7f, stdout: out, stderr: err)
    }

    /// argv for messages: the program and its arguments, shortened.
    public static func display(_ argv: [String]) -> String {
        let text = argv.joined(separator: " ")
        return text.count > 200 ? String(text.prefix(200)) + "..." : text
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
