import FlyteAuthCore
import Synchronization

/// Proves the client at the token endpoint, per request: a secret, a JWT signed with the
/// configured key (`private_key_jwt`) or the secret (`client_secret_jwt`), an external
/// token (workload identity), or nothing but the TLS certificate. The key is loaded on
/// the first token request, never when a cached token is served.
final class ClientAuthenticator: Sendable {
    let method: ClientAuthMethod
    private let secret: String?
    private let settings: Settings
    private let logger: Logger
    private let key = Mutex<(SigningKey, String?)?>(nil)

    /// nil method in the settings: private_key_jwt with a key or an assertion source,
    /// client_secret_basic with a secret, else none.
    init(settings: Settings, secret: String?, logger: Logger) throws(AuthError) {
        self.settings = settings
        self.secret = secret
        self.logger = logger
        if let m = settings.clientAuthMethod {
            method = m
        } else if settings.clientAssertion != nil || (settings.privateKeyFile.nonEmpty != nil && settings.certificateFile.nonEmpty == nil) {
            method = .privateKeyJWT
        } else {
            method = secret != nil ? .clientSecretBasic : .none
        }
        if method.usesSecret && secret == nil {
            throw AuthError(.config, "\"client_auth_method\": \(method.rawValue) needs a client secret (\"client_secret\", \"client_secret_location\" or \"client_secret_env_var\")")
        }
    }

    /// A client needs nothing from us when it is public.
    var isConfidential: Bool { method != .none }

    func authentication(clientID: String, tokenEndpoint: String, context: FlowContext) throws(AuthError) -> ClientAuthentication {
        switch method {
        case .clientSecretBasic: return .basic(secret: secret!)
        case .clientSecretPost: return .post(secret: secret!)
        case .none, .tlsClientAuth, .selfSignedTLSClientAuth: return .none
        case .clientSecretJWT:
            return .assertion(try assertion(clientID: clientID, tokenEndpoint: tokenEndpoint, algorithm: .hs256, keyID: nil,
                                            certificate: nil, context: context).signedWithSecret(secret!))
        case .privateKeyJWT:
            if let source = settings.clientAssertion {
                return .assertion(try ExternalToken.read(source, what: "client_assertion", context: context))
            }
            let (signingKey, certificate) = try loadedKey()
            let claims = try assertion(clientID: clientID, tokenEndpoint: tokenEndpoint, algorithm: signingKey.algorithm,
                                       keyID: settings.privateKeyID.nonEmpty ?? signingKey.thumbprint,
                                       certificate: certificate, context: context)
            let input = claims.signingInput
            return .assertion(ClientAssertion.compact(input, signature: try signingKey.sign(input)))
        }
    }

    private func assertion(clientID: String, tokenEndpoint: String, algorithm: ClientAssertion.Algorithm, keyID: String?,
                           certificate: String?, context: FlowContext) throws(AuthError) -> ClientAssertion {
        ClientAssertion(algorithm: algorithm, keyID: keyID, certificateThumbprint: certificate, clientID: clientID,
                        audience: settings.clientAssertionAudience.nonEmpty ?? tokenEndpoint,
                        jwtID: Base64.encodeURL(try SecureRandom.bytes(18)), issuedAt: context.clock.now())
    }

    /// The key (and certificate thumbprint), read and checked once per client.
    private func loadedKey() throws(AuthError) -> (SigningKey, String?) {
        try key.withLock { (loaded) throws(AuthError) -> (SigningKey, String?) in
            if let loaded { return loaded }
            guard let path = settings.privateKeyFile.nonEmpty else {
                throw AuthError(.config, "private_key_jwt needs \"private_key_file\"")
            }
            let contents = try KeyFile.read(path, setting: "private_key_file")
            if contents.isExposed {
                logger.warnOnce("key-mode", "private_key_file \(path) is readable by others (mode \(String(contents.mode, radix: 8))); chmod 600 it")
            }
            let signingKey = try SigningKey(path: path, pem: contents.bytes)
            var thumbprint: String?
            if let certificatePath = settings.certificateFile.nonEmpty {
                let certificate = try KeyFile.read(certificatePath, setting: "certificate_file")
                thumbprint = try signingKey.certificateThumbprint(pem: certificate.bytes, path: certificatePath)
            }
            loaded = (signingKey, thumbprint)
            return loaded!
        }
    }
}
