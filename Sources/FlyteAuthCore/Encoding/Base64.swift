import FoundationEssentials

/// Base64 in the two alphabets OAuth uses (RFC 4648 sections 4 and 5).
public enum Base64 {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
    }

    /// base64url without padding (PKCE verifier and challenge, JWT segments).
    public static func encodeURL(_ bytes: some Sequence<UInt8>) -> String {
        var s = encode(bytes)
        s = s.replacing("+", with: "-").replacing("/", with: "_")
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    public static func decode(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text).map { [UInt8]($0) }
    }

    /// Accepts base64url with or without padding.
    public static func decodeURL(_ text: String) -> [UInt8]? {
        var s = text.replacing("-", with: "+").replacing("_", with: "/")
        while s.utf8.count % 4 != 0 { s += "=" }
        return decode(s)
    }
}
