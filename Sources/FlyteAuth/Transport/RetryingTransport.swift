import FlyteAuthCore

/// A transport whose single sends take a timeout: what `RetryingTransport` needs to keep
/// every attempt inside one request's deadline.
public protocol TimedTransport: Sendable {
    /// The deadline of one request when it names none (http_timeout_seconds).
    var timeout: Double { get }
    func send(_ request: HTTPRequest, cancel: CancelToken?, timeout: Double) throws(AuthError) -> HTTPResponse
}

/// Resends requests answered 429 or 503 (rate limits, brief outages), by the rule in
/// `RateLimitRetry`: jittered exponential backoff honouring Retry-After, a few attempts,
/// all inside the request's deadline. Every other answer is returned as it came.
public struct RetryingTransport<Base: TimedTransport>: HTTPTransport {
    public let base: Base
    /// Told before each wait, with a line for the log ("... HTTP 429 ...; retry 1 of 3 in 1 s").
    public var onRetry: (@Sendable (String) -> Void)?

    public init(_ base: Base, onRetry: (@Sendable (String) -> Void)? = nil) {
        self.base = base
        self.onRetry = onRetry
    }

    public func send(_ request: HTTPRequest, cancel: CancelToken?) throws(AuthError) -> HTTPResponse {
        let budget = min(request.timeout ?? base.timeout, base.timeout)
        let start = Clock.monotonic()
        var waited = 0.0
        var attempt = 0
        while true {
            attempt += 1
            let left = budget - (Clock.monotonic() - start)
            let response = try base.send(request, cancel: cancel, timeout: max(left, Settings.minimumTimeoutSeconds))
            guard RateLimitRetry.isRetryable(status: response.status) else { return response }
            let decision = RateLimitRetry.decide(
                attempt: attempt, retryAfter: response.headers["retry-after"], now: Clock.now(),
                timeLeft: budget - (Clock.monotonic() - start), random: Double.random(in: 0...1))
            switch decision {
            case .wait(let seconds):
                onRetry?(
                    "\(request.method.rawValue) \(CurlTransport.describe(request.url)): HTTP \(response.status); retry \(attempt) of "
                        + "\(RateLimitRetry.maximumAttempts - 1) in \(RateLimitRetry.format(seconds))")
                Clock.sleep(seconds) { cancel?.isCancelled == true }
                if cancel?.isCancelled == true {
                    throw AuthError(.cancelled, "\(request.method.rawValue) \(CurlTransport.describe(request.url)): cancelled while waiting to retry")
                }
                waited += seconds
            case .stop(let reason):
                throw RetryingTransport.finalError(request, response, reason: reason, waited: waited)
            }
        }
    }

    /// Names the status, why retrying stopped and how long was waited; keeps the OAuth
    /// error a 503 body may carry (temporarily_unavailable).
    static func finalError(_ request: HTTPRequest, _ response: HTTPResponse, reason: String, waited: Double) -> AuthError {
        let what = response.status == 429 ? "Too Many Requests" : "Service Unavailable"
        var message =
            "\(request.method.rawValue) \(CurlTransport.describe(request.url)): HTTP \(response.status) \(what), "
            + "not retried further: \(reason)"
        message += waited > 0 ? " (waited \(RateLimitRetry.format(waited)) in all)" : ""
        var code: String?
        var description: String?
        if let o = try? JSONValue.parse(response.body, what: "").objectValue, let e = o["error"]?.stringValue.nonEmpty {
            code = e
            description = o["error_description"]?.stringValue.nonEmpty
            message += "; the server said \(ServerText.clean(e, limit: 100))" + (description.map { " (\(ServerText.clean($0)))" } ?? "")
        } else {
            message += "; \(response.bodyExcerpt)"
        }
        return AuthError(.network, message, oauthError: code, oauthErrorDescription: description, httpStatus: response.status)
    }
}
