import CMicroHTTPD
import FlyteAuthCore
import Glibc

/// The PKCE redirect target: libmicrohttpd on the redirect URI's loopback port, bound
/// before the browser opens, serving every request until the login is decided.
final class LoopbackListener: @unchecked Sendable {
    /// (path, decoded query) -> (HTTP status, HTML page).
    typealias Handler = @Sendable (String, [String: String]) -> (Int, String)

    /// Shared with libmicrohttpd's thread. `unsent` counts requests whose response is not
    /// yet sent: `stop` waits for it to reach 0, so the login never stops the daemon
    /// while the "Logged in" page is still queued (the browser would get an empty reply).
    private final class Context {
        let handler: Handler
        private let lock = ConditionLock()
        private var unsent = 0
        init(_ handler: @escaping Handler) { self.handler = handler }

        func began() { lock.withLock { unsent += 1 } }
        func ended() { lock.withLock { unsent -= 1; lock.broadcast() } }

        /// Until every answered request has been delivered, or `deadline`.
        func awaitDelivery(until deadline: Double) {
            lock.withLock {
                while unsent > 0 && Clock.monotonic() < deadline { lock.wait(until: deadline) }
            }
        }
    }

    /// How long `stop` waits for pages in flight: a browser reads one in milliseconds; a
    /// client that never reads must not hold up the login.
    static let deliveryTimeout: Double = 3

    private var daemons: [OpaquePointer] = []
    /// Bound sockets no daemon has taken yet (closed by `stop`).
    private var sockets: [Int32] = []
    private let context: Unmanaged<Context>

    init(redirect: RedirectURI, handler: @escaping Handler) throws(AuthError) {
        context = Unmanaged.passRetained(Context(handler))
        do throws(AuthError) {
            if let why = fa_mhd_load_error() { throw AuthError.missingLibrary(String(cString: why)) }
            guard !redirect.bindAddresses.isEmpty else {
                throw AuthError(.config, "redirect URI \"\(redirect.uri)\" has no loopback address to listen on")
            }
            for address in redirect.bindAddresses {
                guard let fd = try LoopbackListener.bind(address, port: redirect.port, optional: redirect.bindAddresses.count > 1 && address == "::1") else { continue }
                sockets.append(fd)
                guard let daemon = fa_mhd_start(fd, LoopbackListener.access, context.toOpaque(), LoopbackListener.completed) else {
                    throw AuthError(.internal, "could not start the login callback listener on \(address) port \(redirect.port)")
                }
                daemons.append(daemon)
                // The daemon owns its listening socket now: MHD_stop_daemon closes it, and
                // closing it here too could close a descriptor reused by another thread.
                sockets.removeLast()
            }
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    func stop() {
        if !daemons.isEmpty { context.takeUnretainedValue().awaitDelivery(until: Clock.monotonic() + LoopbackListener.deliveryTimeout) }
        for d in daemons { fa_mhd_stop(d) }
        daemons.removeAll()
        for fd in sockets { close(fd) }
        sockets.removeAll()
        if !released { released = true; context.release() }
    }
    private var released = false

    /// A listening socket on a loopback address; nil when `optional` and the address
    /// family is unavailable (a host without IPv6).
    private static func bind(_ address: String, port: UInt16, optional: Bool) throws(AuthError) -> Int32? {
        let v6 = address.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            if optional { return nil }
            throw AuthError(.network, "cannot create a socket for the login callback: \(errnoText())")
        }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var rc: Int32
        if v6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = port.bigEndian
            // Never INADDR_ANY by accident: an address that does not parse is refused.
            guard inet_pton(AF_INET6, address, &sa.sin6_addr) == 1, Loopback.isLoopback(address) else {
                close(fd)
                throw AuthError(.config, "\(address) is not a loopback address: the login callback listens on loopback only")
            }
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            guard inet_pton(AF_INET, address, &sa.sin_addr) == 1, Loopback.isLoopback(address) else {
                close(fd)
                throw AuthError(.config, "\(address) is not a loopback address: the login callback listens on loopback only")
            }
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        if rc != 0 {
            let code = errno
            close(fd)
            if code == EADDRINUSE {
                throw AuthError(.network, "port \(port) on \(address) is in use, so the login callback cannot listen there; stop what uses it (e.g. another login) or set \"redirect_uri\" to another registered port")
            }
            if optional && (code == EADDRNOTAVAIL || code == EAFNOSUPPORT) { return nil }
            throw AuthError(.network, "cannot listen on \(address) port \(port) for the login callback: \(String(cString: strerror(code)))")
        }
        guard listen(fd, 16) == 0 else {
            close(fd)
            throw AuthError(.network, "cannot listen on \(address) port \(port): \(errnoText())")
        }
        return fd
    }

    /// Marks a request counted in `Context.unsent` (its req_cls; any non-NULL value).
    private static var counted: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: 1)! }

    /// Called by libmicrohttpd once a request is over: its response sent, or the
    /// connection dropped or shut down.
    private static let completed: MHD_RequestCompletedCallback = { cls, _, requestContext, _ in
        guard let cls, let requestContext, requestContext.pointee != nil else { return }
        requestContext.pointee = nil
        Unmanaged<Context>.fromOpaque(cls).takeUnretainedValue().ended()
    }

    private static let access: MHD_AccessHandlerCallback = { cls, connection, url, method, _, _, uploadSize, requestContext in
        guard let cls, let connection else { return fa_mhd_no() }
        let ctx = Unmanaged<Context>.fromOpaque(cls).takeUnretainedValue()
        // Counted before the handler hands the outcome to the login, so `stop` cannot
        // miss this request's page.
        if let requestContext, requestContext.pointee == nil {
            requestContext.pointee = counted
            ctx.began()
        }
        let path = url.map { String(cString: $0) } ?? "/"
        var status = 405
        var page = LoginPage.render(title: "Method not allowed", text: "The login callback only answers GET.")
        if let method, String(cString: method) == "GET" {
            var params: [String: String] = [:]
            for key in ["code", "state", "iss", "error", "error_description", "error_uri"] {
                if let v = fa_mhd_query(connection, key) {
                    params[key] = String(cString: v)
                }
            }
            (status, page) = ctx.handler(path, params)
        }
        uploadSize?.pointee = 0
        let bytes = Array(page.utf8)
        let response = bytes.withUnsafeBytes { fa_mhd_response($0.baseAddress, $0.count) }
        guard let response else { return fa_mhd_no() }
        fa_mhd_add_header(response, "Content-Type", "text/html; charset=utf-8")
        fa_mhd_add_header(response, "Cache-Control", "no-store")
        fa_mhd_add_header(response, "Connection", "close")
        let result = fa_mhd_queue(connection, UInt32(status), response)
        fa_mhd_destroy_response(response)
        return result
    }
}

/// The short pages the browser shows after the redirect.
enum LoginPage {
    static func render(title: String, text: String) -> String { render(title: title, paragraphs: [text]) }

    /// An English page (lang="en"), readable on light and dark schemes and small screens.
    static func render(title: String, paragraphs: [String]) -> String {
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            + "<meta name=\"color-scheme\" content=\"light dark\"><title>\(escape(title))</title></head>"
            + "<body style=\"font-family:sans-serif;margin:4em auto;max-width:40em;padding:0 1em;line-height:1.5\">"
            + "<h1>\(escape(title))</h1>" + paragraphs.map { "<p>\(escape($0))</p>" }.joined() + "</body></html>"
    }

    /// The pages of a browser login to `endpoint` (as configured, e.g. flyte.example.com).
    static func loggedIn(endpoint: String) -> String {
        render(title: "Logged in to Flyte", paragraphs: [
            "You are logged in to Flyte at \(endpoint).",
            "Return to your terminal: the login finishes there. You can close this window.",
        ])
    }

    static func failed(_ error: AuthError, endpoint: String) -> String {
        if error.oauthError == "access_denied" {
            return render(title: "Login cancelled", paragraphs: [
                "Access to Flyte at \(endpoint) was not granted: the request was declined at the sign-in page"
                    + (error.oauthErrorDescription.map { " (\($0))" } ?? "") + ".",
                "Nothing was changed. To try again, run flyteauth login in your terminal and approve the request.",
                "You can close this window.",
            ])
        }
        return render(title: "Login failed", paragraphs: [
            "The login to Flyte at \(endpoint) did not complete: \(error.message)",
            "Return to your terminal for what to do next. You can close this window.",
        ])
    }

    /// A callback that is not for the login in progress (an old tab, another login's link):
    /// the login goes on waiting for its own.
    static func wrongState(endpoint: String) -> String {
        render(title: "Not this login", paragraphs: [
            "This page belongs to an earlier or different login, not the one your terminal is waiting for, so it was ignored.",
            "The login to Flyte at \(endpoint) is still waiting: finish it in the browser tab it opened, or press Ctrl-C in the terminal and run flyteauth login again.",
            "You can close this window.",
        ])
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }
}
