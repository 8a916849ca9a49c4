import FlyteAuthCore
import Testing

/// Whatever `expires_in` says, a token expires, and soon enough.
@Suite struct ExtremeLifetimeTests {
    func credentials(_ body: String, now: Double = 1000) throws(AuthError) -> Credentials {
        try TokenResponse.credentials(from: HTTPResponse(status: 200, body: Array(body.utf8)), endpoint: "https://idp/token", now: now)
    }

    @Test func negativeAndZeroMeanAlreadyExpired() throws {
        for value in ["-1e308", "-1", "0", "\"-5\""] {
            #expect(try credentials(#"{"access_token":"a","expires_in":\#(value)}"#).expiresAt == 1000, "\(value)")
        }
    }

    @Test func hugeLifetimesAreClampedToTheCeiling() throws {
        let ceiling = 1000 + TokenResponse.maximumLifetimeSeconds
        for value in ["1e308", "\"1e308\"", "99999999999"] {
            #expect(try credentials(#"{"access_token":"a","expires_in":\#(value)}"#).expiresAt == ceiling, "\(value)")
        }
        // The JWT's exp, when earlier, wins; an absurd exp is clamped too.
        let early = jwt(#"{"exp":5000}"#)
        #expect(try credentials(#"{"access_token":"\#(early)","expires_in":1e308}"#).expiresAt == 5000)
        let absurd = jwt(#"{"exp":1e308}"#)
        #expect(try credentials(#"{"access_token":"\#(absurd)"}"#).expiresAt == ceiling)
        #expect(try credentials(#"{"access_token":"\#(absurd)","expires_in":60}"#).expiresAt == 1060)
    }

    @Test func nanAndNonNumbersAreProtocolErrors() {
        for value in ["\"NaN\"", "\"soon\"", "true", "[]", "{}", "\"inf\""] {
            do { _ = try credentials(#"{"access_token":"a","expires_in":\#(value)}"#); Issue.record("\(value) accepted") } catch {
                #expect(error.kind == .protocol && error.message.contains("expires_in") && error.httpStatus == 200, "\(error.message)")
            }
        }
    }

    @Test func missingOrNullIsUnknownOrTheJWT() throws {
        #expect(try credentials(#"{"access_token":"a","expires_in":null}"#).expiresAt == nil)
        #expect(try credentials(#"{"access_token":"\#(jwt(#"{"exp":4242}"#))"}"#).expiresAt == 4242)
    }
}

/// Server text never reaches a terminal with its control characters.
@Suite struct ServerTextTests {
    @Test func controlCharactersAreEscapedAndLengthCapped() {
        #expect(ServerText.clean("a\u{1B}[31mred\nx\u{7}\u{9B}\u{202E}") == "a\\u001b[31mred\\nx\\u0007\\u009b\\u202e")
        #expect(ServerText.clean(String(repeating: "x", count: 1000)).count == ServerText.maximumLength + 3)
        #expect(ServerText.clean("Grüße, ok") == "Grüße, ok")
    }

    @Test func oauthErrorsFromTheServerAreClean() {
        let body = #"{"error":"invalid_grant\u001b[2J","error_description":"\u001b[31mGo to http://evil\r\n\u0007"}"#
        let e = TokenResponse.error(from: HTTPResponse(status: 400, body: Array(body.utf8)), endpoint: "https://idp/token")
        for text in [e.message, e.oauthError ?? "", e.oauthErrorDescription ?? ""] {
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "\(text)")
        }
        #expect(e.message.contains("\\u001b[31mGo to http://evil"))
        #expect((e.oauthErrorDescription ?? "").count <= ServerText.maximumLength + 3)
    }

    @Test func devicePromptFieldsAreClean() throws {
        let body = #"{"device_code":"dc","user_code":"AB\u001b]0;pwned\u0007CD","verification_uri":"https://idp/device\u001b[8m","expires_in":600}"#
        let d = try DeviceAuthorization.decode(HTTPResponse(status: 200, body: Array(body.utf8)), endpoint: "t", now: 0)
        for text in [d.userCode, d.verificationURI, d.preferredURI] {
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 }, "\(text)")
        }
    }

    @Test func everyErrorMessageIsEscaped() {
        #expect(AuthError(.network, "GET http://x/\u{1B}[1m failed").message == "GET http://x/\\u001b[1m failed")
        #expect(AuthError(.network, "a").prefixed("b\u{1B}").message == "b\\u001b: a")
    }
}

/// A 2xx whose body is unusable reports its status, and is transient
/// (a broken answer says nothing about the refresh token).
@Suite struct BrokenSuccessTests {
    @Test func httpStatusIsSetForA2xxWithABadBody() {
        for body in ["<html>not json", "[1]", "{\"token_type\":\"Bearer\"}"] {
            do {
                _ = try TokenResponse.credentials(from: HTTPResponse(status: 200, body: Array(body.utf8)), endpoint: "t", now: 0)
                Issue.record("\(body) accepted")
            } catch {
                #expect(error.httpStatus == 200 && error.kind == .protocol && error.isTransient, "\(error.message)")
            }
        }
    }
}

/// The 429/503 retry rule: rate limits and overload are waited out within the deadline.
@Suite struct RateLimitRetryTests {
    @Test func onlyTooManyRequestsAndServiceUnavailableAreRetried() {
        for status in [200, 400, 401, 403, 404, 500, 502, 504] { #expect(!RateLimitRetry.isRetryable(status: status)) }
        #expect(RateLimitRetry.isRetryable(status: 429) && RateLimitRetry.isRetryable(status: 503))
    }

    @Test func retryAfterSecondsAndHTTPDates() {
        let now = 784_111_777.0  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(RateLimitRetry.parseRetryAfter("2", now: now) == 2)
        #expect(RateLimitRetry.parseRetryAfter(" 120 ", now: now) == 120)
        #expect(RateLimitRetry.parseRetryAfter("Sun, 06 Nov 1994 08:49:40 GMT", now: now) == 3)
        #expect(RateLimitRetry.parseRetryAfter("Sunday, 06-Nov-94 08:49:47 GMT", now: now) == 10)
        #expect(RateLimitRetry.parseRetryAfter("Sun Nov  6 08:49:42 1994", now: now) == 5)
        #expect(RateLimitRetry.parseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == 0, "a past date: now")
        for junk in ["", "-1", "1.5", "soon", "Sun, 32 Nov 1994 08:49:37 GMT"] {
            #expect(RateLimitRetry.parseRetryAfter(junk, now: now) == nil, "\(junk)")
        }
    }

    @Test func backoffIsExponentialJitteredAndCapped() {
        #expect(RateLimitRetry.backoff(retry: 1, random: 1) == RateLimitRetry.baseDelay)
        #expect(RateLimitRetry.backoff(retry: 1, random: 0) == RateLimitRetry.baseDelay / 2)
        #expect(RateLimitRetry.backoff(retry: 3, random: 1) == RateLimitRetry.baseDelay * 4)
        #expect(RateLimitRetry.backoff(retry: 40, random: 1) == RateLimitRetry.maximumDelay)
    }

    @Test func decisionsHonourRetryAfterAttemptsAndTheDeadline() {
        #expect(RateLimitRetry.decide(attempt: 1, retryAfter: "1", now: 0, timeLeft: 30, random: 0.5) == .wait(1))
        guard case .stop(let last) = RateLimitRetry.decide(attempt: RateLimitRetry.maximumAttempts, retryAfter: nil, now: 0,
                                                           timeLeft: 30, random: 0.5) else { Issue.record("attempts"); return }
        #expect(last.contains("\(RateLimitRetry.maximumAttempts) attempts"))
        guard case .stop(let long) = RateLimitRetry.decide(attempt: 1, retryAfter: "120", now: 0, timeLeft: 300, random: 0.5) else {
            Issue.record("cap"); return
        }
        #expect(long.contains("120 s"))
        guard case .stop(let late) = RateLimitRetry.decide(attempt: 1, retryAfter: "5", now: 0, timeLeft: 2, random: 0.5) else {
            Issue.record("deadline"); return
        }
        #expect(late.contains("5 s") && late.contains("deadline"))
    }
}
