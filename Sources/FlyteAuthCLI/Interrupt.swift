import FlyteAuth
import Glibc

/// Ctrl-C during a login: the first SIGINT cancels the client, so the login ends with
/// "cancelled" (exit status 7) and leaves the cache as it was; a second one quits at once.
/// The handler only writes a byte to a pipe (async-signal-safe); a thread does the rest.
enum Interrupt {
    nonisolated(unsafe) private static var wakeFD: Int32 = -1

    static func cancelOnSIGINT(_ client: AuthClient) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        let readFD = fds[0]
        wakeFD = fds[1]
        let started = BackgroundThread.start {
            var seen = 0
            while true {
                var byte: UInt8 = 0
                let n = read(readFD, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                seen += 1
                if seen > 1 { _exit(ExitStatus.cancelledCode) }
                Logger.writeStderr("\nflyteauth: interrupted; cancelling (Ctrl-C again quits at once)\n")
                client.cancel()
            }
        }
        guard started else { return }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            var byte: UInt8 = 1
            _ = write(Interrupt.wakeFD, &byte, 1)
        }
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        sigaction(SIGINT, &action, nil)
    }
}
