import FlyteAuthCore

/// The host application supplies the token (flyte-sdk's Passthrough).
struct PassthroughFlow: Flow {
    var cached: Bool { false }
    func obtain(_ context: FlowContext) throws(AuthError) -> Credentials {
        throw AuthError(
            .loginRequired, "passthrough: no token has been supplied by the application (flyteauth_client_set_token), or it expired or was rejected")
    }
}
