/// How the client proves itself at the token endpoint (RFC 6749 2.3, OIDC Core 9,
/// RFC 7523, RFC 8705). The spellings are the registered `token_endpoint_auth_method`s.
public enum ClientAuthMethod: String, Sendable, CaseIterable {
    case clientSecretBasic = "client_secret_basic"
    case clientSecretPost = "client_secret_post"
    case clientSecretJWT = "client_secret_jwt"
    case privateKeyJWT = "private_key_jwt"
    case tlsClientAuth = "tls_client_auth"
    case selfSignedTLSClientAuth = "self_signed_tls_client_auth"
    case none = "none"

    public static var spellings: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Whether the method uses a shared secret.
    public var usesSecret: Bool { self == .clientSecretBasic || self == .clientSecretPost || self == .clientSecretJWT }

    /// Whether the client certificate on the TLS connection is the proof.
    public var usesCertificate: Bool { self == .tlsClientAuth || self == .selfSignedTLSClientAuth }
}

/// What one token request carries to authenticate the client.
public enum ClientAuthentication: Sendable, Equatable {
    /// HTTP Basic with the secret (RFC 6749 2.3.1).
    case basic(secret: String)
    /// The secret in the form body.
    case post(secret: String)
    /// A JWT client assertion (RFC 7523 2.2): signed by us or an external token.
    case assertion(String)
    /// `client_id` in the body only: a public client, or one proven by its TLS certificate.
    case none

    public static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

    /// Adds this authentication to a request's form fields and headers.
    public func apply(clientID: String, fields: inout [(String, String)], headers: inout [(String, String)]) {
        switch self {
        case .basic(let secret):
            headers.append(("Authorization", FormEncoding.basicAuthorization(clientID: clientID, clientSecret: secret)))
        case .post(let secret):
            fields.append(("client_id", clientID))
            fields.append(("client_secret", secret))
        case .assertion(let jwt):
            fields.append(("client_id", clientID))
            fields.append(("client_assertion_type", ClientAuthentication.assertionType))
            fields.append(("client_assertion", jwt))
        case .none:
            fields.append(("client_id", clientID))
        }
    }
}
