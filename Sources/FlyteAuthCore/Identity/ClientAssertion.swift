/// The JWT a client signs to authenticate itself (RFC 7523 section 3, OIDC Core 9):
/// `iss` = `sub` = the client id, `aud` one string (glewlwyd refuses an array), a fresh
/// `jti`, `iat`, `nbf` and an `exp` at most five minutes ahead.
public struct ClientAssertion: Sendable {
    public enum Algorithm: String, Sendable { case rs256 = "RS256", es256 = "ES256", hs256 = "HS256" }

    public static let maximumLifetime: Double = 300

    public var algorithm: Algorithm
    public var keyID: String?
    /// base64url SHA-256 of the DER certificate (what Entra ID matches).
    public var certificateThumbprint: String?
    public var clientID: String
    public var audience: String
    public var jwtID: String
    public var issuedAt: Double
    public var lifetime: Double = 120

    public init(algorithm: Algorithm, keyID: String?, certificateThumbprint: String?, clientID: String, audience: String,
                jwtID: String, issuedAt: Double) {
        self.algorithm = algorithm
        self.keyID = keyID
        self.certificateThumbprint = certificateThumbprint
        self.clientID = clientID
        self.audience = audience
        self.jwtID = jwtID
        self.issuedAt = issuedAt
    }

    /// `base64url(header) "." base64url(claims)`: the bytes to sign.
    public var signingInput: String {
        var header: [String: JSONValue] = ["alg": .string(algorithm.rawValue), "typ": .string("JWT")]
        if let keyID { header["kid"] = .string(keyID) }
        if let certificateThumbprint { header["x5t#S256"] = .string(certificateThumbprint) }
        let now = issuedAt.rounded(.down)
        let claims: [String: JSONValue] = [
            "iss": .string(clientID), "sub": .string(clientID), "aud": .string(audience), "jti": .string(jwtID),
            "iat": .number(now), "nbf": .number(now), "exp": .number(now + min(lifetime, ClientAssertion.maximumLifetime)),
        ]
        return Base64.encodeURL(Array(JSONValue.object(header).serialized.utf8)) + "."
            + Base64.encodeURL(Array(JSONValue.object(claims).serialized.utf8))
    }

    /// The compact JWS from a signature over `signingInput`.
    public static func compact(_ signingInput: String, signature: [UInt8]) -> String {
        signingInput + "." + Base64.encodeURL(signature)
    }

    /// HS256 (`client_secret_jwt`): signed with the client secret.
    public func signedWithSecret(_ secret: String) -> String {
        let input = signingInput
        return ClientAssertion.compact(input, signature: SHA256.hmac(key: Array(secret.utf8), message: Array(input.utf8)))
    }

    /// RFC 7638 thumbprint of a public key given as its required JWK members.
    public static func jwkThumbprint(_ members: [String: String]) -> String {
        Base64.encodeURL(SHA256.hash(Array(JSONValue.object(members.mapValues(JSONValue.string)).serialized.utf8)))
    }
}
