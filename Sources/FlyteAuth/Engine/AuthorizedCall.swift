import FlyteAuthCore

extension AuthClient {
    /// Sends `request` with the auth headers; after a 401, refreshes once and resends once.
    public func authorizedCall(_ request: HTTPRequest) throws(AuthError) -> HTTPResponse {
        defer { logger.flush() }
        var snapshot = try headers()
        for attempt in 0..<2 {
            var r = request
            // Flyte gets its configured header; anyone else (the IdP's userinfo) the standard
            // one. `send` adds proxy-authorization only where the proxy is: never to the IdP.
            let auth = request.toFlyteEndpoint ? snapshot.headers[0]
                : (key: "authorization", value: "Bearer " + snapshot.accessToken)
            r.headers.append((name: auth.key, value: auth.value))
            let response = try send(r, cancel: cancelSource.token())
            if response.status != 401 || attempt == 1 { return response }
            snapshot = try refresh(rejected: snapshot.accessToken)
        }
        throw AuthError(.internal, "unreachable")
    }
}
