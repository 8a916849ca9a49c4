import FlyteAuthCore

extension AuthClient {
    /// Sends `request` with the auth headers; after a 401, refreshes once and resends once.
    public func authorizedCall(_ request: HTTPRequest) throws(AuthError) -> HTTPResponse {
        defer { logger.flush() }
        let snapshot = try headers()
        let response = try send(request, authorizedBy: snapshot)
        if response.status != 401 { return response }
        return try send(request, authorizedBy: try refresh(rejected: snapshot.accessToken))
    }

    private func send(_ request: HTTPRequest, authorizedBy snapshot: HeaderSnapshot) throws(AuthError) -> HTTPResponse {
        var r = request
        // Flyte gets its configured header; anyone else (the IdP's userinfo) the standard
        // one. `send` adds proxy-authorization only where the proxy is: never to the IdP.
        let auth = request.toFlyteEndpoint ? snapshot.headers[0]
            : (key: "authorization", value: "Bearer " + snapshot.accessToken)
        r.headers.append((name: auth.key, value: auth.value))
        return try send(r, cancel: cancelSource.token())
    }
}
