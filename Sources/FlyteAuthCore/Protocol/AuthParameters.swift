/// What a flow needs, merged from local settings and the server's documents.
/// Explicit local settings always win; the server fills in the rest.
public struct AuthParameters: Sendable, Equatable {
    public var tokenEndpoint: String?
    public var authorizationEndpoint: String?
    public var deviceAuthorizationEndpoint: String?
    public var userinfoEndpoint: String?
    public var issuer: String?
    /// The issuer advertises RFC 9207's `iss` in authorization responses.
    public var issuerInAuthorizationResponse = false
    public var clientID: String?
    public var redirectURI: String
    public var scopes: [String]
    public var audience: String?
    /// The header (gRPC metadata) key, lower-cased.
    public var headerKey: String

    /// flyteadmin's defaults (flyte-auth.md section 1).
    public static let defaultRedirectURI = "http://localhost:53593/callback"
    public static let defaultHeaderKey = "authorization"

    public init(settings: Settings, metadata: OAuth2Metadata?, clientConfig: PublicClientConfig?) {
        tokenEndpoint = settings.tokenURL.nonEmpty ?? metadata?.tokenEndpoint
        authorizationEndpoint = settings.authorizationEndpoint.nonEmpty ?? metadata?.authorizationEndpoint
        deviceAuthorizationEndpoint = settings.deviceAuthorizationEndpoint.nonEmpty ?? metadata?.deviceAuthorizationEndpoint
        userinfoEndpoint = metadata?.userinfoEndpoint
        issuer = metadata?.issuer
        issuerInAuthorizationResponse = metadata?.issParameterSupported ?? false
        clientID = settings.clientID.nonEmpty ?? (settings.authType.isInteractive ? clientConfig?.clientID : nil)
        redirectURI = settings.redirectURI.nonEmpty ?? clientConfig?.redirectURI ?? AuthParameters.defaultRedirectURI
        scopes = settings.scopes ?? clientConfig?.scopes ?? []
        audience = settings.audience.nonEmpty ?? (settings.useAudienceFromAdmin ? clientConfig?.audience : nil)
        headerKey = (settings.authorizationHeader.nonEmpty ?? clientConfig?.authorizationMetadataKey
            ?? AuthParameters.defaultHeaderKey).lowercased()
    }

    /// Whether the server's documents are needed to fill in what the settings leave open.
    public static func needsDiscovery(_ settings: Settings) -> Bool {
        switch settings.authType {
        case .passthrough, .externalCommand:
            return settings.authorizationHeader.nonEmpty == nil
        case .clientSecret, .apiKey, .tokenExchange:
            return settings.tokenURL.nonEmpty == nil || settings.authorizationHeader.nonEmpty == nil
                || settings.scopes == nil
        case .pkce, .deviceFlow:
            return true
        }
    }
}

extension Optional where Wrapped == String {
    /// nil for nil and for "".
    public var nonEmpty: String? {
        switch self {
        case .some(let s) where !s.isEmpty: return s
        default: return nil
        }
    }
}
