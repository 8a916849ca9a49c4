/// RFC 3339 timestamps (flytectl's stored expiry). A parsed time formats to a string that
/// parses again, to the same whole second within the years the format can say.
func fuzzRFC3339(_ bytes: [UInt8]) {
    guard let t = RFC3339.parse(String(decoding: bytes, as: UTF8.self)) else { return }
    fuzzCheck(t.isFinite, "RFC 3339 time \(t)")
    let text = RFC3339.format(t)
    let again = RFC3339.parse(text)
    fuzzCheck(again != nil, "RFC3339.format(\(t)) = \(text) does not parse")
    if t >= -62_135_596_800 && t < 253_402_300_800, let again {
        fuzzCheck(again == t.rounded(.down), "RFC 3339 round trip \(t) -> \(text) -> \(again)")
    }
}
