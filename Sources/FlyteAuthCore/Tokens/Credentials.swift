/// Tokens from one login or refresh. `expiresAt` and `obtainedAt` are UTC seconds.
public struct Credentials: Sendable, Equatable {
    public var accessToken: String
    public var tokenType: String
    public var refreshToken: String?
    public var idToken: String?
    /// nil when neither `expires_in` nor the JWT `exp` claim says.
    public var expiresAt: Double?
    public var obtainedAt: Double
    public var scopes: [String]?
    /// The cache cannot vouch for this token: it was imported from another tool without a
    /// lifetime, or its copy in another tool's layout has gone (README "Sharing the
    /// login"). With a refresh token it is refreshed before it is served (`RefreshPolicy`).
    public var unverified: Bool
    /// The credential and request that obtained it (`CredentialBinding`); nil for logins
    /// by a person, which every tool shares.
    public var binding: String?

    public init(accessToken: String, tokenType: String = "Bearer", refreshToken: String? = nil, idToken: String? = nil,
                expiresAt: Double? = nil, obtainedAt: Double, scopes: [String]? = nil, unverified: Bool = false) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.refreshToken = refreshToken
        self.idToken = idToken
        self.expiresAt = expiresAt
        self.obtainedAt = obtainedAt
        self.scopes = scopes
        self.unverified = unverified
    }

    /// A token whose expiry is not given explicitly: the JWT `exp`, else unknown.
    public init(accessToken: String, obtainedAt: Double) {
        self.init(accessToken: accessToken, expiresAt: JWT.expiry(of: accessToken), obtainedAt: obtainedAt)
    }

    /// The authorization header value.
    public var headerValue: String { "Bearer " + accessToken }

    /// After a refresh: a response without a refresh token keeps the old one (RFC 6749 6).
    public func keepingRefreshToken(of previous: Credentials?) -> Credentials {
        var copy = self
        if copy.refreshToken == nil { copy.refreshToken = previous?.refreshToken }
        if copy.idToken == nil { copy.idToken = previous?.idToken }
        copy.unverified = false
        return copy
    }
}

/// Just enough of JWT (RFC 7519) to read claims; signatures are the server's business.
public enum JWT {
    /// The payload's claims, or nil when `token` is not a JWT.
    public static func claims(of token: String) -> [String: JSONValue]? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 || parts.count == 5, parts[1].utf8.count < 64 * 1024,
              let bytes = Base64.decodeURL(String(parts[1])),
              let value = try? JSONValue.parse(bytes, what: "JWT") else { return nil }
        return value.objectValue
    }

    /// The `exp` claim in UTC seconds.
    public static func expiry(of token: String) -> Double? {
        guard let exp = claims(of: token)?["exp"]?.numberValue, exp.isFinite, exp > 0 else { return nil }
        return exp
    }
}
