/// The claims doctor shows of an external token (a projected service-account token, a CI
/// job's OIDC token): who issued it, for whom, for which audience, until when. Never the
/// token or its signature.
public struct ExternalTokenClaims: Sendable, Equatable {
    public var issuer: String?
    public var subject: String?
    /// `aud` as a list (RFC 7519 allows one string or an array).
    public var audiences: [String]
    public var expiresAt: Double?

    /// nil when `token` is not a JWT.
    public init?(token: String) {
        guard let claims = JWT.claims(of: token) else { return nil }
        issuer = claims["iss"]?.stringValue
        subject = claims["sub"]?.stringValue
        switch claims["aud"] {
        case .string(let s)?: audiences = [s]
        case .array(let items)?: audiences = items.compactMap(\.stringValue)
        default: audiences = []
        }
        if let exp = claims["exp"]?.numberValue, exp.isFinite, exp > 0 { expiresAt = exp } else { expiresAt = nil }
    }

    /// For display: "iss ...", "sub ...", "aud ...", "exp ...".
    public var lines: [String] {
        var out = ["iss \(issuer ?? "(none)")", "sub \(subject ?? "(none)")",
                   "aud \(audiences.isEmpty ? "(none)" : audiences.joined(separator: ", "))"]
        if let expiresAt { out.append("exp \(RFC3339.format(expiresAt))") }
        return out
    }
}
