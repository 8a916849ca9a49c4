/// When and how long to wait before resending a request a server refused for load:
/// 429 Too Many Requests and 503 Service Unavailable, from the IdP (Okta, Auth0 and
/// Entra ID rate-limit the token endpoint org-wide) or from Flyte's discovery.
///
/// The rule: at most `maximumAttempts` sends; before each resend wait
/// `max(Retry-After, backoff)`, where backoff is `baseDelay * 2^(retry-1)` with equal
/// jitter (between half and all of it) so a fleet of pods does not retry in step; a
/// single wait is at most `maximumDelay`, and never past the request's deadline: a wait
/// that does not fit ends the retries at once, with an error naming the status and the
/// wait. Other 4xx (and every other status) are answers, never retried.
public enum RateLimitRetry {
    public static let maximumAttempts = 4
    public static let baseDelay: Double = 0.25
    public static let maximumDelay: Double = 10

    public static func isRetryable(status: Int) -> Bool { status == 429 || status == 503 }

    /// The jittered backoff before retry number `retry` (1 = the first resend);
    /// `random` in 0...1.
    public static func backoff(retry: Int, random: Double) -> Double {
        let full = baseDelay * Double(1 << min(max(retry - 1, 0), 16))
        return min(full * (0.5 + 0.5 * min(max(random, 0), 1)), maximumDelay)
    }

    /// What to do after a retryable answer to attempt number `attempt` (1-based).
    public enum Decision: Sendable, Equatable {
        case wait(Double)
        /// Stop: `reason` says why ("after 4 attempts", "Retry-After 120 s is more than ...").
        case stop(reason: String)
    }

    /// `retryAfter`: the header's value; `now`: wall clock (for HTTP dates); `timeLeft`:
    /// seconds until the request's deadline.
    public static func decide(attempt: Int, retryAfter: String?, now: Double, timeLeft: Double, random: Double) -> Decision {
        if attempt >= maximumAttempts { return .stop(reason: "after \(attempt) attempts") }
        let asked = retryAfter.flatMap { parseRetryAfter($0, now: now) }
        let wait = max(asked ?? 0, backoff(retry: attempt, random: random))
        if let asked, asked > maximumDelay {
            return .stop(reason: "it asked to wait \(format(asked)) (Retry-After), more than the \(format(maximumDelay)) this library waits")
        }
        // The resend needs time too: a wait that leaves less than 10 ms is not worth it.
        if wait + 0.01 > timeLeft {
            return .stop(
                reason:
                    "waiting \(format(wait))\(asked != nil ? " (Retry-After)" : "") would pass the request's deadline (\(format(max(timeLeft, 0))) left)"
            )
        }
        return .wait(wait)
    }

    /// `Retry-After`: delta-seconds or an HTTP date (RFC 9110 10.2.3), as seconds from `now`
    /// (0 for a date in the past); nil when neither.
    public static func parseRetryAfter(_ value: String, now: Double) -> Double? {
        let text = value.trimmingSpaces()
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return text.utf8.count > 9 ? 999_999_999 : Double(text)
        }
        guard let date = HTTPDate.parse(text) else { return nil }
        return max(0, date - now)
    }

    /// "1 s", "2.5 s": waits in messages.
    public static func format(_ s: Double) -> String {
        let tenths = (s * 10).rounded() / 10
        return tenths == tenths.rounded() ? "\(Int(tenths)) s" : "\(tenths) s"
    }
}

/// HTTP dates (RFC 9110 5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms
/// a recipient must accept. Always GMT.
public enum HTTPDate {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// UTC seconds, or nil when `text` is none of the three forms.
    public static func parse(_ text: String) -> Double? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        var day: Int?
        var month: Int?
        var year: Int?
        var time: (Int, Int, Int)?
        if words.count == 6, words[5] == "GMT" {
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            day = Int(words[1])
            month = monthIndex(words[2])
            year = Int(words[3])
            time = clock(words[4])
        } else if words.count == 4, words[3] == "GMT" {
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            let parts = words[1].split(separator: "-").map(String.init)
            guard parts.count == 3, let y = Int(parts[2]) else { return nil }
            day = Int(parts[0])
            month = monthIndex(parts[1])
            year = y < 100 ? (y < 70 ? 2000 + y : 1900 + y) : y
            time = clock(words[2])
        } else if words.count == 5 {
            // asctime: Sun Nov  6 08:49:37 1994
            month = monthIndex(words[1])
            day = Int(words[2])
            time = clock(words[3])
            year = Int(words[4])
        }
        guard let day, let month, let year, let time, (1...31).contains(day), (1...9999).contains(year) else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Double(days * 86_400 + time.0 * 3600 + time.1 * 60 + time.2)
    }

    private static func monthIndex(_ word: String) -> Int? {
        months.firstIndex(of: word.lowercased()).map { $0 + 1 }
    }

    private static func clock(_ word: String) -> (Int, Int, Int)? {
        let p = word.split(separator: ":").compactMap { Int($0) }
        guard p.count == 3, p[0] < 24, p[1] < 60, p[2] < 61 else { return nil }
        return (p[0], p[1], p[2])
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
