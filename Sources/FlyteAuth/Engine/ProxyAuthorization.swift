import FlyteAuthCore

/// `proxy-authorization: Bearer <stdout of proxy_command>` for every request to Flyte
/// (GCP IAP and similar). The token is reused until its JWT expiry, or until a refresh
/// is forced.
final class ProxyAuthorization: @unchecked Sendable {
    struct Header: Sendable {
        let value: String
        let softDeadline: Double
        let hardDeadline: Double
    }

    private let command: [String]
    private let lock = ConditionLock()
    private var cached: Header?
    private let policy = RefreshPolicy(window: 60)

    init(command: [String]) { self.command = command }

    func header(_ client: AuthClient, force: Bool) throws(AuthError) -> Header {
        try lock.withLock { () throws(AuthError) -> Header in
            if !force, let cached, Clock.now() < cached.hardDeadline { return cached }
            let context = client.makeContext(cancel: CancelSource().token())
            let token = try CommandFlow.run(command, context: context, what: "proxy command")
            let credentials = Credentials(accessToken: token, obtainedAt: Clock.now())
            let header = Header(value: "Bearer " + token, softDeadline: policy.softDeadline(for: credentials),
                                hardDeadline: policy.hardDeadline(for: credentials))
            cached = header
            return header
        }
    }
}
