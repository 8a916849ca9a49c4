/// An HTTP request as the flows describe it; the engine's transport sends it.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST" }

    public var method: Method
    public var url: String
    /// Header names as sent; values may be secret and are never logged.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Add the configured proxy-authorization header (requests to the Flyte endpoint).
    public var toFlyteEndpoint = false
    /// The most this request may take, retries included, when less than the transport's
    /// own timeout (a device poll near the login's deadline). nil: the transport's.
    public var timeout: Double?

    public init(method: Method, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// Whether the request carries a credential (an Authorization or Proxy-Authorization
    /// header, or a form body: client secret, code, refresh token, assertion), so that
    /// `SecretDestination` decides whether it may go to `url` at all.
    public var carriesCredentials: Bool {
        headers.contains { h in
            let n = h.name.lowercased()
            return n == "authorization" || n == "proxy-authorization"
                || (n == "content-type" && h.value.lowercased().hasPrefix("application/x-www-form-urlencoded"))
        }
    }

    public static func form(url: String, fields: [(String, String)], headers: [(name: String, value: String)] = []) -> HTTPRequest {
        HTTPRequest(method: .post, url: url,
                    headers: [("Accept", "application/json"), ("Content-Type", "application/x-www-form-urlencoded")] + headers,
                    body: Array(FormEncoding.encode(fields).utf8))
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased; the last value wins.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The body as JSON; a body that is not carries this response's status in its error,
    /// so a 2xx with a broken body still reports `http_status`.
    public func json(what: String) throws(AuthError) -> JSONValue {
        do { return try JSONValue.parse(body, what: what) } catch {
            var e = error
            e.httpStatus = status
            throw e
        }
    }

    /// A short, printable excerpt of the body for error messages.
    public var bodyExcerpt: String {
        if body.isEmpty { return "empty body" }
        let text = String(decoding: body.prefix(160), as: UTF8.self)
        var out = ""
        var lastSpace = false
        for ch in text.unicodeScalars {
            let printable = ch.value >= 0x20 && ch.value < 0x7F
            if printable && ch != " " { out.unicodeScalars.append(ch); lastSpace = false }
            else if !lastSpace { out += " "; lastSpace = true }
        }
        return "body: \"" + out.trimmingSpaces() + (body.count > 160 ? "..." : "") + "\""
    }
}

extension String {
    /// Trims ASCII whitespace (space, tab, CR, LF) at both ends.
    public func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}
