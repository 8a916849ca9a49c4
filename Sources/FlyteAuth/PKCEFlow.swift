import FlyteAuthCore

/// Authorization code + PKCE in the browser, with a loopback callback listener.
struct PKCEFlow: Flow {
    var refreshes: Bool { true }

    func obtain(_ context: FlowContext) throws(AuthError) -> Credentials {
        throw AuthError(.unsupported, "PKCE login is not implemented yet")
    }
}
