/// RFC 8628: the device authorization response and the polling policy.
public struct DeviceAuthorization: Sendable, Equatable {
    public var deviceCode: String
    public var userCode: String
    public var verificationURI: String
    public var verificationURIComplete: String?
    public var expiresAt: Double
    public var interval: Double

    public static let defaultInterval: Double = 5

    public init(
        deviceCode: String, userCode: String, verificationURI: String, verificationURIComplete: String?,
        expiresAt: Double, interval: Double
    ) {
        self.deviceCode = deviceCode
        self.userCode = userCode
        self.verificationURI = verificationURI
        self.verificationURIComplete = verificationURIComplete
        self.expiresAt = expiresAt
        self.interval = interval
    }

    public static func decode(_ response: HTTPResponse, endpoint: String, now: Double) throws(AuthError) -> DeviceAuthorization {
        guard response.isSuccess else {
            var e = TokenResponse.error(from: response, endpoint: endpoint)
            e.message = "device authorization: " + e.message
            throw e
        }
        let what = "device authorization response from \(endpoint)"
        guard let o = try response.json(what: what).objectValue else {
            throw AuthError(.protocol, "\(what): not a JSON object")
        }
        func required(_ key: String) throws(AuthError) -> String {
            guard let v = o[key]?.stringValue, !v.isEmpty else { throw AuthError(.protocol, "\(what): no \(key)") }
            return v
        }
        let deviceCode = try required("device_code")
        // What the person is shown: cleaned like every server string (ServerText).
        let userCode = ServerText.clean(try required("user_code"), limit: 64)
        // Google and some older servers say verification_url.
        guard
            let uri = (o["verification_uri"]?.stringValue.nonEmpty ?? o["verification_url"]?.stringValue.nonEmpty)
                .map({ ServerText.clean($0, limit: 2048) })
        else {
            throw AuthError(.protocol, "\(what): no verification_uri")
        }
        guard let expiresIn = o["expires_in"]?.numberValue, expiresIn > 0 else {
            throw AuthError(.protocol, "\(what): no expires_in")
        }
        let interval = o["interval"]?.numberValue.flatMap { $0 > 0 && $0 < 3600 ? $0 : nil } ?? defaultInterval
        return DeviceAuthorization(
            deviceCode: deviceCode, userCode: userCode, verificationURI: uri,
            verificationURIComplete: o["verification_uri_complete"]?.stringValue.nonEmpty.map { ServerText.clean($0, limit: 2048) },
            expiresAt: now + expiresIn, interval: interval)
    }

    /// Where to send the person: the complete URI when given, else the URI with the code.
    public var preferredURI: String {
        verificationURIComplete ?? FormEncoding.appendQuery(verificationURI, [("user_code", userCode)])
    }
}

/// The polling loop's decisions, separated from its sleeping.
public struct DevicePolling: Sendable {
    public private(set) var interval: Double
    public let deadline: Double

    public enum Step: Sendable {
        case done(Credentials)
        case wait(Double)
        case fail(AuthError)
    }

    public init(authorization: DeviceAuthorization, timeout: Double, now: Double) {
        interval = authorization.interval
        deadline = min(authorization.expiresAt, now + timeout)
    }

    /// Why the last poll failed when the token endpoint itself failed (network, timeout,
    /// 5xx): what the final error names instead of blaming the person.
    public private(set) var lastFailure: AuthError?

    /// The first wait: the interval, but never past the deadline.
    public func firstWait(now: Double) -> Double { max(0, min(interval, deadline - now)) }

    /// How long the next poll may take: the time left, so the last one ends at the deadline.
    public func requestTimeout(now: Double) -> Double { max(0.001, deadline - now) }

    /// `sentAt`: when the poll was sent (expiry counts from then); `now`: after the answer.
    public mutating func next(after response: HTTPResponse, endpoint: String, sentAt: Double? = nil, now: Double) -> Step {
        if response.isSuccess {
            do { return .done(try TokenResponse.credentials(from: response, endpoint: endpoint, now: sentAt ?? now)) } catch { return .fail(error) }
        }
        let error = TokenResponse.error(from: response, endpoint: endpoint)
        switch error.oauthError {
        case "authorization_pending":
            lastFailure = nil
        case "slow_down":
            lastFailure = nil
            interval += 5  // for the rest of this login (RFC 8628 3.5)
        case "expired_token":
            return .fail(
                AuthError(
                    .oauth, "the device code expired before the login was approved; run the login again",
                    oauthError: "expired_token", oauthErrorDescription: error.oauthErrorDescription,
                    httpStatus: response.status))
        case "access_denied":
            return .fail(
                AuthError(
                    .oauth, "the device login was denied",
                    oauthError: "access_denied", oauthErrorDescription: error.oauthErrorDescription,
                    httpStatus: response.status))
        default:
            // A 5xx or 429 is the token endpoint's trouble, not an answer: poll on.
            if error.httpStatus >= 500 || error.httpStatus == 429 { return afterTransientFailure(error, now: now) }
            return .fail(error)
        }
        return timeLeft(now: now)
    }

    /// After a transient failure (network, timeout, 5xx) keep polling until the deadline.
    public mutating func afterTransientFailure(_ error: AuthError, now: Double) -> Step {
        lastFailure = error
        return timeLeft(now: now)
    }

    /// The next wait, shortened so the last poll happens at the deadline itself.
    private func timeLeft(now: Double) -> Step {
        if now >= deadline - 0.05 {
            if let lastFailure {
                var e = lastFailure
                e.message = "the device login could not be completed because the token endpoint failed: \(lastFailure.message)"
                return .fail(e)
            }
            return .fail(
                AuthError(.timeout, "the device login was not approved in time (waited until the code expired or device_flow_timeout_seconds passed)")
            )
        }
        return .wait(min(interval, deadline - now))
    }
}
