import FlyteAuthCore

/// RFC 8693: the subject token (a Kubernetes service-account token, a CI job's OIDC
/// token, another IdP's access token), read fresh from its source, exchanged for a token
/// for Flyte. There is no refresh token: before expiry the exchange runs again.
struct TokenExchangeFlow: Flow {
    let clientID: String?

    func obtain(_ context: FlowContext) throws(AuthError) -> Credentials {
        let settings = context.settings
        guard let subjectSource = settings.subjectToken else {
            throw AuthError(.config, "auth type TokenExchange needs \"subject_token\"")
        }
        let p = try context.parameters()
        guard let tokenEndpoint = p.tokenEndpoint else {
            throw AuthError(.unsupported, "the server's OAuth2 metadata has no token_endpoint; set \"token_url\"")
        }
        let subject = try ExternalToken.read(subjectSource, what: "subject_token", context: context)
        let actor = try settings.actorToken.map { (source) throws(AuthError) in
            try ExternalToken.read(source, what: "actor_token", context: context)
        }
        let exchange = TokenExchangeRequest(
            subjectToken: subject, subjectTokenType: settings.subjectTokenType.nonEmpty, actorToken: actor,
            actorTokenType: settings.actorTokenType.nonEmpty, resource: settings.resource.nonEmpty, audience: p.audience,
            scopes: p.scopes, requestedTokenType: settings.requestedTokenType.nonEmpty)
        let auth = try clientID.map { (id) throws(AuthError) in
            try context.clientAuthentication(clientID: id, tokenEndpoint: tokenEndpoint)
        } ?? .none
        let request = TokenRequests.tokenExchange(endpoint: tokenEndpoint, clientID: clientID, auth: auth, exchange: exchange)
        let sentAt = context.clock.now()
        let response = try context.send(request)
        var credentials = try TokenResponse.credentials(from: response, endpoint: tokenEndpoint, now: sentAt)
        // An exchange answers with a refresh token only when one was asked for; it is
        // never used here (the subject token is the long-lived credential).
        credentials.refreshToken = nil
        return credentials
    }
}
