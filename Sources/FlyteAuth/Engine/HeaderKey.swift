import FlyteAuthCore
import Synchronization

/// The header (gRPC metadata) key tokens go in: the configured one from the start, else
/// the server's once discovery has answered.
final class HeaderKey: Sendable {
    private let configured: String?
    private let key: Mutex<String?>

    init(settings: Settings) {
        configured = settings.authorizationHeader.nonEmpty?.lowercased()
        key = Mutex(configured)
    }

    /// The key known so far; nil until discovery when none is configured.
    var current: String? { key.withLock { $0 } }

    /// Settles the key before a flow yields credentials: a passthrough client never
    /// asks the server, every other one takes the merged parameters' key.
    func settle(authType: AuthType, parameters: () throws(AuthError) -> AuthParameters) throws(AuthError) {
        let value = authType == .passthrough ? configured : try parameters().headerKey
        key.withLock { $0 = value }
    }

    /// Settles the key once, when nothing is known yet (a token supplied by the host).
    func settleIfUnknown(authType: AuthType, parameters: () throws(AuthError) -> AuthParameters) throws(AuthError) {
        guard authType != .passthrough, current == nil else { return }
        let value = try parameters().headerKey
        key.withLock { $0 = value }
    }
}
