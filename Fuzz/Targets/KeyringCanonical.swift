/// Our canonical keyring item (or file-cache entry) as another process or a broken
/// writer may have left it.
func fuzzKeyringCanonical(_ bytes: [UInt8]) {
    guard let c = CanonicalItem.decode(String(decoding: bytes, as: UTF8.self)) else { return }
    fuzzCredentials(c)
}
