/// FLYTE_API_KEY: base64 of endpoint:client_id:client_secret:org. A decoded key
/// encodes back to a key that decodes to the same fields.
func fuzzAPIKey(_ bytes: [UInt8]) {
    guard let key = try? APIKey(decoding: String(decoding: bytes, as: UTF8.self)) else { return }
    let again = try? APIKey(decoding: key.encoded)
    fuzzCheck(again == key, "API key does not survive encode/decode")
    _ = try? FlyteEndpoint(key.endpoint, insecure: false)
}
