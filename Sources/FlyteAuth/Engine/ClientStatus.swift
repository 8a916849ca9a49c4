import FlyteAuthCore

/// `status()`: what a client is and holds, for display; no secrets, no I/O.
enum ClientStatus {
    static func json(for client: AuthClient) -> JSONValue {
        let (credentials, source) = client.state.withLock { ($0.current, $0.source) }
        let settings = client.settings
        var o: [String: JSONValue] = [
            "auth_type": .string(settings.authType.rawValue),
            "token_source": .string(source.rawValue),
            "interactive": .bool(settings.interactive),
            "library_version": .string(LibraryVersion.string),
        ]
        o["endpoint"] = client.endpoint.map { .string($0.configured) }
        o["client_id"] = client.cacheClientID.map(JSONValue.string)
        o["settings"] = client.effectiveSettings
        o["cache"] =
            client.cache.opened?.store.map { .string($0.name) }
            ?? .string(client.cache.isCached ? "not opened yet" : "memory only (this auth type is not cached)")
        // Cache tiers: which tier served the token, and each tier's state.
        let store = client.cache.opened?.store
        if let tiered = (store as? TierReporting) ?? ((store as? BoundStore)?.inner as? TierReporting) {
            o["token_tier"] = source == .cache ? tiered.servedTier.map { .string($0.rawValue) } ?? .null : .null
            o["cache_tiers"] = .array(tiered.tiers.map(\.json))
        }
        if let c = credentials {
            o["has_token"] = .bool(true)
            o["has_refresh_token"] = .bool(c.refreshToken != nil)
            o["expires_at"] = c.expiresAt.map { .number($0.rounded(.down)) } ?? .null
            var claims: [String: JSONValue] = [:]
            let source = c.idToken.flatMap(JWT.claims) ?? JWT.claims(of: c.accessToken) ?? [:]
            for key in ["sub", "iss", "aud", "email", "name", "preferred_username", "exp", "iat", "scope"] {
                if let v = source[key] { claims[key] = v }
            }
            o["claims"] = .object(claims)
        } else {
            o["has_token"] = .bool(false)
        }
        return .object(o)
    }
}
