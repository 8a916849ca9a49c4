/// application/x-www-form-urlencoded, as OAuth2 token requests use it (RFC 6749 appendix B).
public enum FormEncoding {
    /// Percent-encodes everything but ALPHA / DIGIT / "-" / "." / "_" / "~".
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            if (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
            {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%"
                out += String(b >> 4, radix: 16, uppercase: true)
                out += String(b & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    public static func encode(_ fields: [(String, String)]) -> String {
        fields.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    /// Decodes a query string or form body. Invalid escapes are kept literally; the
    /// result is nil when the decoded bytes are not UTF-8.
    public static func decode(_ text: Substring) -> [(String, String)]? {
        var fields: [(String, String)] = []
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = unescape(pieces[0]) else { return nil }
            guard let value = pieces.count > 1 ? unescape(pieces[1]) : "" else { return nil }
            fields.append((key, value))
        }
        return fields
    }

    static func unescape(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let b = utf8.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if b == UInt8(ascii: "%"), utf8.count >= 2,
                let hi = hexValue(utf8[utf8.startIndex]), let lo = hexValue(utf8[utf8.startIndex + 1])
            {
                bytes.append(hi << 4 | lo)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    /// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 section 2.3.1).
    public static func basicAuthorization(clientID: String, clientSecret: String) -> String {
        "Basic " + Base64.encode(Array((escape(clientID) + ":" + escape(clientSecret)).utf8))
    }

    /// Appends query parameters to a URL, keeping any query it already has.
    public static func appendQuery(_ url: String, _ fields: [(String, String)]) -> String {
        let separator = url.contains("?") ? (url.hasSuffix("?") || url.hasSuffix("&") ? "" : "&") : "?"
        return url + separator + encode(fields)
    }
}
