import FlyteAuthCore

/// What both interactive logins check and need before asking a person.
struct InteractiveLogin {
    let parameters: AuthParameters
    let tokenEndpoint: String
    let clientID: String

    /// `what` names the login in messages ("a browser login").
    init(_ context: FlowContext, what: String) throws(AuthError) {
        guard context.settings.interactive else {
            throw AuthError(.loginRequired, "\(what) is needed, and this program does not ask a person to log in; run `flyteauth login` at a terminal first")
        }
        parameters = try context.parameters()
        guard let tokenEndpoint = parameters.tokenEndpoint else {
            throw AuthError(.unsupported, "the server's OAuth2 metadata has no token_endpoint; set \"token_url\"")
        }
        guard let clientID = parameters.clientID else {
            throw AuthError(.config, "no client id: the server's public client config has none; set \"client_id\"")
        }
        self.tokenEndpoint = tokenEndpoint
        self.clientID = clientID
    }
}
