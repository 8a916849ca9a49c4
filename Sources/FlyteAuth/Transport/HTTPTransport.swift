import FlyteAuthCore

/// Sends one HTTP request. The engine's only way to the network, so tests can swap it.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest, cancel: CancelToken?) throws(AuthError) -> HTTPResponse
}
