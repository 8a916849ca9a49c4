/// Interprets token endpoint answers (RFC 6749 sections 5.1 and 5.2) in one place for
/// every flow.
public enum TokenResponse {
    /// Credentials from a successful answer, or the error the IdP or the transport gave.
    /// `now` is when the request was *sent*: `expires_in` counts from the IdP's issue
    /// time, which is before the answer arrives.
    public static func credentials(from response: HTTPResponse, endpoint: String, now: Double) throws(AuthError) -> Credentials {
        guard response.isSuccess else { throw error(from: response, endpoint: endpoint) }
        let what = "token response from \(endpoint)"
        guard let o = try response.json(what: what).objectValue else {
            throw AuthError(.protocol, "\(what): not a JSON object", httpStatus: response.status)
        }
        guard let access = o["access_token"]?.stringValue, !access.isEmpty else {
            throw AuthError(.protocol, "\(what): no access_token", httpStatus: response.status)
        }
        do throws(AuthError) {
            try TokenSyntax.check(access, source: endpoint)
            if let refresh = o["refresh_token"]?.stringValue.nonEmpty { try TokenSyntax.check(refresh, what: "refresh token", source: endpoint) }
        } catch {
            var e = error
            e.httpStatus = response.status
            throw e
        }
        let tokenType = o["token_type"]?.stringValue ?? "Bearer"
        let expiresAt = try expiry(o["expires_in"], jwtExpiry: JWT.expiry(of: access), now: now, what: what,
                                   status: response.status)
        let scopes = o["scope"]?.stringValue.map { $0.split(separator: " ").map(String.init) }
        return Credentials(accessToken: access, tokenType: tokenType,
                           refreshToken: o["refresh_token"]?.stringValue.nonEmpty,
                           idToken: o["id_token"]?.stringValue.nonEmpty,
                           expiresAt: expiresAt, obtainedAt: now, scopes: scopes)
    }

    /// The longest lifetime a token is believed to have: a server saying more (up to
    /// `1e308`, "never") is clamped here, so no token is cached as never-expiring.
    public static let maximumLifetimeSeconds: Double = 86_400 * 365

    /// When the token expires: `expires_in` (a number, or a numeric string as some servers
    /// send), and the JWT's own `exp` when earlier, since that is what the server enforces.
    /// Zero or negative means already expired; NaN, infinities and non-numbers are
    /// protocol errors; more than `maximumLifetimeSeconds` is clamped to it.
    static func expiry(_ value: JSONValue?, jwtExpiry: Double?, now: Double, what: String, status: Int) throws(AuthError) -> Double? {
        let ceiling = now + maximumLifetimeSeconds
        let jwt = jwtExpiry.map { min($0, ceiling) }
        let seconds: Double
        switch value {
        case nil, .null?:
            return jwt  // expires_in is RECOMMENDED, not required
        case .number(let n)?:
            seconds = n
        case .string(let text)?:
            guard let n = Double(text.trimmingSpaces()) else {
                throw AuthError(.protocol, "\(what): expires_in is not a number (\(ServerText.quoted(text)))", httpStatus: status)
            }
            seconds = n
        default:
            throw AuthError(.protocol, "\(what): expires_in is not a number", httpStatus: status)
        }
        guard seconds.isFinite else {
            throw AuthError(.protocol, "\(what): expires_in is not a finite number", httpStatus: status)
        }
        let stated = now + min(max(seconds, 0), maximumLifetimeSeconds)
        return min(stated, jwt ?? .infinity)
    }

    /// The error for a non-2xx answer: the OAuth error when the body carries one.
    public static func error(from response: HTTPResponse, endpoint: String) -> AuthError {
        if let o = try? JSONValue.parse(response.body, what: "").objectValue, let code = o["error"]?.stringValue, !code.isEmpty {
            let description = o["error_description"]?.stringValue.nonEmpty.map { ServerText.clean($0) }
            var message = "\(endpoint) refused the request: \(ServerText.clean(code, limit: 100))"
            if let description { message += " (\(description))" }
            message += hint(for: code)
            return AuthError(.oauth, message, oauthError: code, oauthErrorDescription: description, httpStatus: response.status)
        }
        var message = "\(endpoint) answered HTTP \(response.status) without an OAuth error (\(response.bodyExcerpt))"
        if response.status == 401 || response.status == 403 {
            message += "; check the client id and client secret"
        }
        return AuthError(.protocol, message, httpStatus: response.status)
    }

    private static func hint(for code: String) -> String {
        switch code {
        case "invalid_scope", "scope_invalid":
            return "; set the scopes your identity provider allows for this client (admin.scopes / \"scopes\")"
        case "invalid_client", "unauthorized_client":
            return "; check the client id and client secret"
        default:
            return ""
        }
    }
}
