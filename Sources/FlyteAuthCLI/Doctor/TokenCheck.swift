import FlyteAuth
import FlyteAuthCore

/// Whether a token is at hand, and for how long: the answer to "would a call work?".
struct TokenCheck: DoctorCheck {
    let names = ["token"]
    let needs = DoctorNeed.client

    func run(_ c: DoctorContext) {
        guard c.reachable else {
            c.report.skip("token", "skipped: the connection to the endpoint failed (above)")
            return
        }
        switch c.token {
        case .success(let s):
            let o = c.client.status().objectValue ?? [:]
            var summary = "a call would work: "
            if let e = s.expiresAt {
                summary += "the token is valid for \(DoctorText.duration(e - Clock.now())) (until \(RFC3339.format(e)))"
            } else {
                summary += "the token has no known expiry"
            }
            var details = ["from \(o["token_source"]?.stringValue ?? "?"); header \(s.headers[0].key)"]
            if let tier = o["token_tier"], tier != .null { details.append("cache tier in use: \(tier.stringValue ?? tier.serialized)") }
            if let r = o["has_refresh_token"]?.boolValue { details.append("refresh token: \(r ? "yes" : "no")") }
            if let who = Identity.describe(c.client.status()) { details.append("identity: \(who)") }
            c.report.add(.init(name: "token", outcome: .ok, summary: summary, details: details))
        case .failure(let error):
            c.report.add(.init(name: "token", outcome: .fail,
                               summary: error.kind == .loginRequired ? "no usable token is cached for this endpoint" : error.message,
                               details: error.kind == .loginRequired ? [error.message] : [],
                               fix: error.kind == .loginRequired ? "run `flyteauth login` (at a terminal)" : ExitStatus.fix(for: error),
                               kind: error.kind))
        }
    }
}
