/// The ways to obtain a token. Every spelling flytekit, flytectl and flyte-sdk accept
/// maps onto one case (flyte-auth.md section 3).
public enum AuthType: String, Sendable, CaseIterable {
    case pkce = "Pkce"
    case deviceFlow = "DeviceFlow"
    case clientSecret = "ClientSecret"
    case externalCommand = "ExternalCommand"
    case passthrough = "Passthrough"
    case apiKey = "ApiKey"
    /// RFC 8693: a token from an external source (`subject_token`) exchanged for one for Flyte.
    case tokenExchange = "TokenExchange"

    /// Parses any known spelling, case-insensitively.
    public init?(spelling: String) {
        var folded = spelling.lowercased().filter({ $0 != "_" && $0 != "-" })
        // flytekit plugin names (admin.authType: flyteauth_pkce) name our flows too;
        // plain "flyteauth" is flytekit's default, PKCE.
        if folded.hasPrefix("flyteauth") { folded = String(folded.dropFirst(9)); if folded.isEmpty { folded = "pkce" } }
        switch folded {
        case "pkce", "standard": self = .pkce
        case "deviceflow", "device": self = .deviceFlow
        case "clientsecret", "clientcredentials", "basic": self = .clientSecret
        case "externalcommand", "externalprocess", "command": self = .externalCommand
        case "passthrough": self = .passthrough
        case "apikey": self = .apiKey
        case "tokenexchange": self = .tokenExchange
        default: return nil
        }
    }

    /// The auth type of settings that name none: `named` (FLYTEAUTH_AUTH_TYPE) if given,
    /// else ClientSecret when a client secret is configured, ExternalCommand when a
    /// command is, else Pkce. (The rule of flyteauth_client_new in flyteauth.h; the
    /// flytekit plugin "flyteauth" relies on it.)
    public static func unset(for settings: Settings, named: String?) throws(AuthError) -> AuthType {
        if let named, !named.isEmpty {
            guard let type = AuthType(spelling: named) else {
                throw AuthError(.config, "FLYTEAUTH_AUTH_TYPE: unknown auth type \"\(named)\"")
            }
            return type
        }
        // A subject token to exchange is a token exchange, whatever authenticates the client.
        if settings.subjectToken != nil { return .tokenExchange }
        if [settings.clientSecret, settings.clientSecretLocation, settings.clientSecretEnvVar].contains(where: { !($0 ?? "").isEmpty }) {
            return .clientSecret
        }
        // A machine's credential without a secret: an assertion, a signing key, a certificate.
        if settings.clientAssertion != nil
            || [ClientAuthMethod.privateKeyJWT, .tlsClientAuth, .selfSignedTLSClientAuth].contains(settings.clientAuthMethod ?? .none) {
            return .clientSecret
        }
        return settings.command != nil ? .externalCommand : .pkce
    }

    /// Flows that need a person and produce refresh tokens.
    public var isInteractive: Bool { self == .pkce || self == .deviceFlow }
}
