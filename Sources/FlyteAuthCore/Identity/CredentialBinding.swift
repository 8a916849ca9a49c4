/// Binds a cached token to the credential and the request that obtained it, so a wrong or
/// rotated secret is not served the token of the right one, nor a changed `scopes` or
/// `audience` the token issued for the old ones. The tag is an HMAC-SHA256 keyed with the
/// credential (a secret, a key file's bytes, an assertion source) over the request: the
/// cache item records the tag, never the credential, and equal tags mean equal inputs.
public enum CredentialBinding {
    public struct Request: Sendable, Equatable {
        public var method: String
        public var clientID: String?
        public var tokenURL: String?
        public var scopes: [String]?
        public var audience: String?
        public var extra: [String]

        public init(method: String, clientID: String?, tokenURL: String?, scopes: [String]?, audience: String?, extra: [String] = []) {
            self.method = method
            self.clientID = clientID
            self.tokenURL = tokenURL
            self.scopes = scopes
            self.audience = audience
            self.extra = extra
        }

        /// An unambiguous encoding (JSON, sorted keys).
        var encoded: [UInt8] {
            var o: [String: JSONValue] = ["method": .string(method), "extra": .array(extra.map(JSONValue.string))]
            o["client_id"] = clientID.map(JSONValue.string) ?? .null
            o["token_url"] = tokenURL.map(JSONValue.string) ?? .null
            o["scopes"] = scopes.map { .array($0.map(JSONValue.string)) } ?? .null
            o["audience"] = audience.map(JSONValue.string) ?? .null
            return Array(("flyteauth-binding-v1\u{0}" + JSONValue.object(o).serialized).utf8)
        }
    }

    /// "v1:<hex>": what the cache item records.
    public static func tag(credential: [UInt8], request: Request) -> String {
        "v1:" + SHA256.hex(SHA256.hmac(key: credential, message: request.encoded))
    }
}
