/// flyte-sdk's `FLYTE_API_KEY`: standard base64 of `endpoint:client_id:client_secret:org`,
/// split on the first three colons; an empty org is written `None`.
public struct APIKey: Sendable, Equatable {
    public var endpoint: String
    public var clientID: String
    public var clientSecret: String
    public var organization: String?

    public init(endpoint: String, clientID: String, clientSecret: String, organization: String?) {
        self.endpoint = endpoint
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.organization = organization
    }

    /// Decodes a key. Errors explain the expected shape and never echo the key.
    public init(decoding key: String) throws(AuthError) {
        let trimmed = key.trimmingSpaces()
        guard !trimmed.isEmpty else { throw AuthError(.config, "API key is empty") }
        guard let bytes = Base64.decode(trimmed) ?? Base64.decodeURL(trimmed) else {
            throw AuthError(.config, "API key is not valid base64 (expected the value `flyte create api-key` printed)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw AuthError(.config, "API key does not decode to UTF-8 text")
        }
        let parts = text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4 else {
            throw AuthError(.config, "API key decodes to \(parts.count) colon-separated fields; expected 4 (endpoint:client_id:client_secret:org)")
        }
        guard !parts[0].isEmpty else { throw AuthError(.config, "API key has an empty endpoint") }
        guard !parts[1].isEmpty else { throw AuthError(.config, "API key has an empty client id") }
        guard !parts[2].isEmpty else { throw AuthError(.config, "API key has an empty client secret") }
        endpoint = String(parts[0])
        clientID = String(parts[1])
        clientSecret = String(parts[2])
        organization = (parts[3].isEmpty || parts[3] == "None") ? nil : String(parts[3])
    }

    public var encoded: String {
        Base64.encode(Array("\(endpoint):\(clientID):\(clientSecret):\(organization ?? "None")".utf8))
    }
}
