/// The parameters of an RFC 8693 token exchange.
public struct TokenExchangeRequest: Sendable, Equatable {
    public static let grantType = "urn:ietf:params:oauth:grant-type:token-exchange"
    public static let jwtType = "urn:ietf:params:oauth:token-type:jwt"
    public static let accessTokenType = "urn:ietf:params:oauth:token-type:access_token"

    public var subjectToken: String
    public var subjectTokenType: String
    public var actorToken: String?
    public var actorTokenType: String
    public var resource: String?
    public var audience: String?
    public var scopes: [String]
    /// An access token by default: what a Flyte server accepts as a bearer.
    public var requestedTokenType: String

    public init(subjectToken: String, subjectTokenType: String?, actorToken: String?, actorTokenType: String?,
                resource: String?, audience: String?, scopes: [String], requestedTokenType: String?) {
        self.subjectToken = subjectToken
        self.subjectTokenType = subjectTokenType ?? TokenExchangeRequest.jwtType
        self.actorToken = actorToken
        self.actorTokenType = actorTokenType ?? TokenExchangeRequest.jwtType
        self.resource = resource
        self.audience = audience
        self.scopes = scopes
        self.requestedTokenType = requestedTokenType ?? TokenExchangeRequest.accessTokenType
    }
}
