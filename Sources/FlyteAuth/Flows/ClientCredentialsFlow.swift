import FlyteAuthCore

/// RFC 6749 4.4 (also the API key flow, whose key carries id and secret). The client
/// authenticates as its `ClientAuthenticator` says: a secret, a signed or external
/// assertion, or its TLS certificate.
struct ClientCredentialsFlow: Flow {
    let clientID: String?

    func obtain(_ context: FlowContext) throws(AuthError) -> Credentials {
        guard let clientID = clientID.nonEmpty, let authenticator = context.authenticator, authenticator.isConfidential else {
            throw AuthError(.config, "Client ID and Client SECRET both are required. Set \"client_id\" and one of \"client_secret\", \"client_secret_location\" or \"client_secret_env_var\" (or, without a secret, \"client_auth_method\" with \"private_key_file\", \"client_assertion\" or \"certificate_file\").")
        }
        let p = try context.parameters()
        guard let tokenEndpoint = p.tokenEndpoint else {
            throw AuthError(.unsupported, "the server's OAuth2 metadata has no token_endpoint; set \"token_url\"")
        }
        let auth = try authenticator.authentication(clientID: clientID, tokenEndpoint: tokenEndpoint, context: context)
        let request = TokenRequests.clientCredentials(endpoint: tokenEndpoint, clientID: clientID, auth: auth,
                                                      scopes: p.scopes, audience: p.audience)
        let sentAt = context.clock.now()
        let response = try context.send(request)
        return try TokenResponse.credentials(from: response, endpoint: tokenEndpoint, now: sentAt)
    }
}
