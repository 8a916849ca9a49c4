/// One Secret Service item: found by `service` and `username` only, as Python keyring
/// and go-keyring do (token-cache.md section 1).
public struct KeyringItem: Sendable, Equatable, Hashable {
    public var service: String
    public var username: String
    public init(service: String, username: String) {
        self.service = service
        self.username = username
    }
    /// Python keyring's label, reused so the items look alike in a keyring browser.
    public var label: String { "Password for '\(username)' on '\(service)'" }
}

/// Where credentials for one (endpoint, client id) live. This derivation is the
/// interop contract for every program that links libflyteauth (README "Token cache").
public struct CacheKey: Sendable, Equatable {
    public let endpoint: FlyteEndpoint
    public let clientID: String

    public init(endpoint: FlyteEndpoint, clientID: String) {
        self.endpoint = endpoint
        self.clientID = clientID
    }

    /// service `flyteauth:<host:port>` (lower-cased, no scheme, no dns:///),
    /// username `<client id>`.
    public var item: KeyringItem {
        KeyringItem(service: "flyteauth:" + endpoint.hostAndPort.lowercased(), username: clientID)
    }

    /// The key of this entry in the file cache: the same two parts.
    public var fileKey: String { item.service + " " + item.username }
}

/// The canonical item's secret: JSON with every field a later refresh needs.
public enum CanonicalItem {
    public static let version = 1

    /// `mirrored`: the layouts that were just written with the same tokens (`MirrorCheck`).
    /// `confirmedAt`: for a cache tier's copy (the kernel key), when it was last found
    /// equal to the durable tiers, and `keyringSignal` the Secret Service's change witness
    /// then (`CacheCoherence`).
    public static func encode(
        _ c: Credentials, key: CacheKey, tokenEndpoint: String?, mirrored: [ForeignLayout] = [],
        confirmedAt: Double? = nil, keyringSignal: String? = nil
    ) -> String {
        var o: [String: JSONValue] = [
            "version": .number(Double(version)),
            "endpoint": .string(key.endpoint.hostAndPort),
            "client_id": .string(key.clientID),
            "access_token": .string(c.accessToken),
            "token_type": .string(c.tokenType),
            "obtained_at": .number(c.obtainedAt.rounded(.down)),
        ]
        o["refresh_token"] = c.refreshToken.map(JSONValue.string)
        o["id_token"] = c.idToken.map(JSONValue.string)
        o["expires_at"] = c.expiresAt.map { .number($0.rounded(.down)) }
        o["scopes"] = c.scopes.map { .array($0.map(JSONValue.string)) }
        o["token_endpoint"] = tokenEndpoint.map(JSONValue.string)
        o["binding"] = c.binding.map(JSONValue.string)
        if !mirrored.isEmpty { o["mirrored"] = .array(mirrored.map { .string($0.rawValue) }) }
        o["confirmed_at"] = confirmedAt.map { .number(($0 * 1000).rounded(.down) / 1000) }
        o["keyring_signal"] = keyringSignal.map(JSONValue.string)
        return JSONValue.object(o).serialized
    }

    /// The layouts recorded as holding the same tokens when the item was written.
    public static func mirrored(_ text: String) -> [ForeignLayout] {
        guard let o = (try? JSONValue.parse(Array(text.utf8), what: "cached credentials"))?.objectValue else { return [] }
        return o["mirrored"]?.arrayValue?.compactMap { $0.stringValue.flatMap(ForeignLayout.init(rawValue:)) } ?? []
    }

    public static func decode(_ text: String) -> Credentials? {
        decodeConfirmed(text)?.credentials
    }

    /// The credentials and, for a cache tier's copy, when they were last confirmed and the
    /// change witness then.
    public static func decodeConfirmed(_ text: String)
        -> (credentials: Credentials, confirmedAt: Double?, keyringSignal: String?)?
    {
        guard let o = (try? JSONValue.parse(Array(text.utf8), what: "cached credentials"))?.objectValue,
            let access = o["access_token"]?.stringValue, TokenSyntax.isValid(access),
            o["refresh_token"]?.stringValue.nonEmpty.map(TokenSyntax.isValid) ?? true
        else { return nil }
        var c = Credentials(
            accessToken: access, tokenType: o["token_type"]?.stringValue ?? "Bearer",
            refreshToken: o["refresh_token"]?.stringValue.nonEmpty, idToken: o["id_token"]?.stringValue.nonEmpty,
            expiresAt: o["expires_at"]?.numberValue ?? JWT.expiry(of: access),
            obtainedAt: o["obtained_at"]?.numberValue ?? 0,
            scopes: o["scopes"]?.arrayValue?.compactMap(\.stringValue))
        c.binding = o["binding"]?.stringValue
        return (c, o["confirmed_at"]?.numberValue, o["keyring_signal"]?.stringValue)
    }
}

/// The layouts other Flyte tools write, read when our item is missing and (optionally)
/// written after a login so one login serves every tool (token-cache.md section 1).
public enum ForeignLayout: String, Sendable, CaseIterable {
    case flytekit = "flytekit"
    case flyteSDK = "flyte-sdk"
    case flytectl = "flytectl"

    /// The items this layout uses for an endpoint.
    public func items(for endpoint: FlyteEndpoint) -> [KeyringItem] {
        switch self {
        case .flytekit:
            // flytekit's endpoint never has a scheme and loses dns:/// when read: host:port.
            return ["access_token", "refresh_token", "id_token"].map { KeyringItem(service: endpoint.hostAndPort, username: $0) }
        case .flyteSDK:
            return [KeyringItem(service: endpoint.hostAndPort, username: "tokens")]
        case .flytectl:
            return [KeyringItem(service: "flytectl", username: endpoint.configured + ":flytectl-user")]
        }
    }

    /// What to write: item and secret; an absent token deletes the item.
    public func encode(_ c: Credentials, endpoint: FlyteEndpoint, now: Double) -> [(KeyringItem, String?)] {
        let items = self.items(for: endpoint)
        switch self {
        case .flytekit:
            return [(items[0], c.accessToken), (items[1], c.refreshToken), (items[2], c.idToken)]
        case .flyteSDK:
            var o: [String: JSONValue] = ["access_token": .string(c.accessToken)]
            o["refresh_token"] = c.refreshToken.map(JSONValue.string) ?? .null
            return [(items[0], JSONValue.object(o).serialized)]
        case .flytectl:
            // Go's oauth2.Token as encoding/json writes it.
            var o: [String: JSONValue] = [
                "access_token": .string(c.accessToken),
                "token_type": .string(c.tokenType),
                "expiry": .string(c.expiresAt.map(RFC3339.format) ?? "0001-01-01T00:00:00Z"),
            ]
            if let r = c.refreshToken { o["refresh_token"] = .string(r) }
            if let e = c.expiresAt { o["expires_in"] = .number(max(0, (e - now).rounded(.down))) }
            return [(items[0], JSONValue.object(o).serialized)]
        }
    }

    /// Credentials from this layout's secrets (keyed as `items(for:)` lists them). These
    /// layouts keep no issue time: the JWT `iat`, else `now`, stands in for it.
    public func decode(_ secrets: [KeyringItem: String], endpoint: FlyteEndpoint, now: Double) -> Credentials? {
        // Bytes that are not a token (CR LF, escapes) are never served from any layout.
        guard var c = decodeTokens(secrets, endpoint: endpoint), TokenSyntax.isValid(c.accessToken),
            c.refreshToken.map(TokenSyntax.isValid) ?? true
        else { return nil }
        c.obtainedAt = JWT.claims(of: c.accessToken)?["iat"]?.numberValue ?? now
        return c
    }

    private func decodeTokens(_ secrets: [KeyringItem: String], endpoint: FlyteEndpoint) -> Credentials? {
        let items = self.items(for: endpoint)
        switch self {
        case .flytekit:
            guard let access = secrets[items[0]].nonEmpty else { return nil }
            return Credentials(
                accessToken: access, refreshToken: secrets[items[1]].nonEmpty, idToken: secrets[items[2]].nonEmpty,
                expiresAt: JWT.expiry(of: access), obtainedAt: 0)
        case .flyteSDK:
            guard let text = secrets[items[0]], let o = (try? JSONValue.parse(Array(text.utf8), what: "flyte-sdk item"))?.objectValue,
                let access = o["access_token"]?.stringValue, !access.isEmpty
            else { return nil }
            return Credentials(
                accessToken: access, refreshToken: o["refresh_token"]?.stringValue.nonEmpty,
                expiresAt: JWT.expiry(of: access), obtainedAt: 0)
        case .flytectl:
            guard let text = secrets[items[0]], let o = (try? JSONValue.parse(Array(text.utf8), what: "flytectl item"))?.objectValue,
                let access = o["access_token"]?.stringValue, !access.isEmpty
            else { return nil }
            // Like flytectl, prefer the JWT's exp; else its stored expiry when set.
            let stored = o["expiry"]?.stringValue.flatMap(RFC3339.parse).flatMap { $0 > 0 ? $0 : nil }
            return Credentials(
                accessToken: access, tokenType: o["token_type"]?.stringValue.nonEmpty ?? "Bearer",
                refreshToken: o["refresh_token"]?.stringValue.nonEmpty,
                expiresAt: JWT.expiry(of: access) ?? stored, obtainedAt: 0)
        }
    }
}
