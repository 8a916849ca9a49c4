import FlyteAuthCore
import Synchronization

/// `proxy-authorization: Bearer <stdout of proxy_command>` for every request to Flyte
/// (GCP IAP and similar). The token is reused until its expiry (the JWT's, or the
/// document's when the command prints JSON), or until a refresh
/// is forced.
final class ProxyAuthorization: Sendable {
    struct Header: Sendable {
        let value: String
        let softDeadline: Double
        let hardDeadline: Double
    }

    private let command: [String]
    /// Held while the command runs, so concurrent requests run it once.
    private let cached = Mutex<Header?>(nil)
    private let policy = RefreshPolicy(window: 60)

    init(command: [String]) { self.command = command }

    /// `cancel` is the operation's: flyteauth_client_cancel stops the command too.
    func header(_ client: AuthClient, force: Bool, cancel: CancelToken) throws(AuthError) -> Header {
        try cached.withLock { (cached) throws(AuthError) -> Header in
            let now = client.clock.now()
            if !force, let cached, now < cached.hardDeadline { return cached }
            let context = client.makeContext(cancel: cancel)
            // A JSON document's expiry counts, like the token command's.
            let output = try CommandFlow.runDocument(command, context: context, what: "proxy command")
            let credentials = Credentials(accessToken: output.token, expiresAt: output.expiresAt, obtainedAt: now)
            let header = Header(value: "Bearer " + output.token, softDeadline: policy.softDeadline(for: credentials),
                                hardDeadline: policy.hardDeadline(for: credentials))
            cached = header
            return header
        }
    }
}
