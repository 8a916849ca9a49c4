/// A token endpoint answer (any flow). First byte: the HTTP status; the rest: the body.
/// Accepted credentials go through the cache encoding and the refresh policy.
func fuzzTokenResponse(_ bytes: [UInt8]) {
    let statuses = [200, 200, 200, 201, 204, 400, 401, 403, 429, 500, 503]
    let status = bytes.first.map { statuses[Int($0) % statuses.count] } ?? 200
    let response = HTTPResponse(status: status, body: Array(bytes.dropFirst()))
    guard let c = try? TokenResponse.credentials(from: response, endpoint: "https://idp.test/token", now: 1_700_000_000) else { return }
    fuzzCheck(!c.accessToken.isEmpty, "credentials with an empty access token")
    fuzzCredentials(c)
}

/// What the engine does with any credentials: deadlines, the canonical item and every
/// mirrored layout, read back.
func fuzzCredentials(_ c: Credentials) {
    // Whatever the source, only token bytes are ever served (a header line, a terminal).
    fuzzCheck(TokenSyntax.isValid(c.accessToken), "an access token with spaces, controls or non-ASCII accepted")
    let policy = RefreshPolicy(window: 60)
    _ = Int64(saturatingSeconds: policy.softDeadline(for: c))
    _ = Int64(saturatingSeconds: policy.hardDeadline(for: c))
    _ = c.expiresAt.map(RFC3339.format)
    let endpoint = try! FlyteEndpoint("dns:///flyte.test:443", insecure: false)
    let text = CanonicalItem.encode(c, key: CacheKey(endpoint: endpoint, clientID: "client"), tokenEndpoint: "https://idp.test/token")
    let back = CanonicalItem.decode(text)
    fuzzCheck(back?.accessToken == c.accessToken, "canonical item does not read back its access token")
    fuzzCheck(back?.refreshToken == c.refreshToken.flatMap { $0.isEmpty ? nil : $0 }, "canonical item loses the refresh token")
    for layout in ForeignLayout.allCases {
        let secrets = Dictionary(layout.encode(c, endpoint: endpoint, now: 1_700_000_000).compactMap { item, secret in
            secret.map { (item, $0) }
        }, uniquingKeysWith: { a, _ in a })
        let read = layout.decode(secrets, endpoint: endpoint, now: 1_700_000_000)
        fuzzCheck(read?.accessToken == c.accessToken, "\(layout.rawValue) layout does not read back its access token")
    }
}
