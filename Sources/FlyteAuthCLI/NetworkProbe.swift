import FlyteAuth
import FlyteAuthCore
import Glibc

/// DNS and TCP steps of `flyteauth doctor`, done directly so each failure is named
/// on its own (curl folds them into one error).
enum NetworkProbe {
    enum Probe<T> {
        case success(T)
        case failure(String)
    }

    /// Numeric addresses of `host`, or the resolver's reason.
    static func resolve(_ host: String, port: Int) -> Probe<[String]> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0 else { return .failure(String(cString: gai_strerror(rc))) }
        defer { freeaddrinfo(list) }
        var out: [String] = []
        var node = list
        while let n = node {
            var buffer = [CChar](repeating: 0, count: 1025)
            if getnameinfo(n.pointee.ai_addr, n.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !out.contains(text) { out.append(text) }
            }
            node = n.pointee.ai_next
        }
        return .success(out)
    }

    /// Connects to `address` (numeric) within `timeout` seconds; returns the elapsed ms
    /// or why not.
    static func connect(_ address: String, port: Int, timeout: Double) -> Probe<Int> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICHOST
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(address, String(port), &hints, &list) == 0, let ai = list else { return .failure("not a numeric address") }
        defer { freeaddrinfo(list) }
        let fd = socket(
            ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
            ai.pointee.ai_protocol)
        guard fd >= 0 else { return .failure(String(cString: strerror(errno))) }
        defer { close(fd) }
        let start = Clock.monotonic()
        if Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { return .failure(String(cString: strerror(errno))) }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&p, 1, Int32(timeout * 1000))
            if ready == 0 { return .failure("no answer within \(Int(timeout)) s (a firewall dropping packets?)") }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if err != 0 { return .failure(String(cString: strerror(err))) }
        }
        return .success(Int((Clock.monotonic() - start) * 1000))
    }

    /// An HTTP `Date` header ("Tue, 01 Dec 2026 09:46:10 GMT") in epoch seconds.
    static func httpDate(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        guard parts.count >= 5 else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let m = months.firstIndex(of: String(parts[2])), let day = Int(parts[1]), let year = Int(parts[3]) else { return nil }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return RFC3339.parse("\(year)-\(two(m + 1))-\(two(day))T\(parts[4])Z")
    }
}
