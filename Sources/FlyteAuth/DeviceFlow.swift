import FlyteAuthCore

/// RFC 8628 device authorization grant.
struct DeviceFlow: Flow {
    var refreshes: Bool { true }

    func obtain(_ context: FlowContext) throws(AuthError) -> Credentials {
        throw AuthError(.unsupported, "device login is not implemented yet")
    }
}
