import ArgumentParser
import FlyteAuth
import FlyteAuthCore
import Glibc

struct Login: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Log in with the configured flow and cache the tokens for every Flyte tool.",
        discussion: "Pkce opens a browser (or prints the link); DeviceFlow shows a code, its link and a QR code. Ctrl-C stops the login (exit status 7).")

    @OptionGroup var common: CommonOptions

    @Flag(help: "Print JSON when logged in: endpoint, identity, expires_at (epoch seconds), cache.")
    var json = false

    func run() throws {
        do throws(AuthError) {
            let client = try common.client(login: .always)
            Interrupt.cancelOnSIGINT(client)
            let countdown = Countdown()
            client.interaction.setDevicePrompt { d in
                DevicePromptView.show(d)
                countdown.start(until: d.expiresAt, waitingFor: "approval")
            }
            client.interaction.setWaitNotice { deadline in countdown.start(until: deadline, waitingFor: "the browser login") }
            let snapshot: HeaderSnapshot
            defer { countdown.stop() }
            snapshot = try client.login()
            countdown.stop()
            let who = Identity.describe(client.status())
            if json {
                var o: [String: JSONValue] = ["endpoint": client.endpoint.map { .string($0.configured) } ?? .null,
                                              "cache": .string(client.cacheDescription)]
                o["identity"] = who.map(JSONValue.string) ?? .null
                o["expires_at"] = snapshot.expiresAt.map { .number($0.rounded(.down)) } ?? .null
                out(JSONValue.object(o).serialized)
                return
            }
            var line = "Logged in to \(client.endpoint?.configured ?? "Flyte")"
            if let who { line += " as \(who)" }
            if let e = snapshot.expiresAt { line += "; the access token expires at \(RFC3339.format(e))" }
            Terminal.print("", line + ".", indent: 0)
            Terminal.print("", "Tokens are cached in \(client.cacheDescription).", indent: 0)
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}

/// The device login's instructions: link, code, and a QR code of the complete link.
enum DevicePromptView {
    static func show(_ d: DeviceAuthorization) {
        var text = "\nTo log in to Flyte, open\n\n    \(d.preferredURI)\n\nand confirm the code  \(d.userCode)\n"
        if isatty(2) == 1, let qr = QRCode.render(d.preferredURI) {
            text += "\nor scan:\n\n" + qr
        }
        Logger.writeStderr(text + "\n")
    }
}

/// "Waiting for approval... 9:41 left (Ctrl-C to cancel)" on a terminal while a login
/// waits. `stop` returns once the line is erased, so what follows starts on a clean line.
final class Countdown: @unchecked Sendable {
    private let lock = ConditionLock()
    private var running = false
    private var drawing = false

    func start(until expiresAt: Double, waitingFor what: String) {
        guard isatty(2) == 1 else { return }
        let begin = lock.withLock { () -> Bool in
            guard !running && !drawing else { return false }
            running = true
            drawing = true
            return true
        }
        guard begin else { return }
        let started = BackgroundThread.start { [self] in
            while lock.withLock({ running }) {
                let left = max(0, Int(saturatingSeconds: expiresAt - Clock.now()))
                Logger.writeStderr("\r  Waiting for \(what)... \(left / 60):\(left % 60 < 10 ? "0" : "")\(left % 60) left (Ctrl-C to cancel) ")
                lock.withLock { if running { _ = lock.wait(until: Clock.monotonic() + 1) } }
            }
            Logger.writeStderr("\r\u{1B}[K")
            lock.withLock {
                drawing = false
                lock.broadcast()
            }
        }
        if !started { lock.withLock { running = false; drawing = false } }
    }

    func stop() {
        lock.withLock {
            running = false
            lock.broadcast()
            while drawing { _ = lock.wait(until: Clock.monotonic() + 1) }
        }
    }
}

/// Who a token belongs to, from its claims, for messages.
enum Identity {
    static func describe(_ status: JSONValue) -> String? {
        guard let claims = status["claims"]?.objectValue else { return nil }
        for key in ["email", "preferred_username", "name", "sub"] {
            if let v = claims[key]?.stringValue, !v.isEmpty { return v }
        }
        return nil
    }
}
