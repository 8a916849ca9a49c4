/// Base64 in the two alphabets OAuth uses (RFC 4648 sections 4 and 5). Written out
/// rather than taken from FoundationEssentials, which no process should have to load
/// for this.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var k = 0
        while k + 2 < input.count {
            let n = UInt32(input[k]) << 16 | UInt32(input[k + 1]) << 8 | UInt32(input[k + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            k += 3
        }
        let rest = input.count - k
        if rest == 1 {
            let n = UInt32(input[k]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(input[k]) << 16 | UInt32(input[k + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// base64url without padding (PKCE verifier and challenge, JWT segments).
    public static func encodeURL(_ bytes: some Sequence<UInt8>) -> String {
        var s = encode(bytes)
        s = s.replacing("+", with: "-").replacing("/", with: "_")
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    /// Standard alphabet, padded to a multiple of 4; nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var k = 0
        while k < input.count {
            var n: UInt32 = 0
            var pad = 0
            for j in 0..<4 {
                let c = input[k + j]
                let v: UInt32
                switch c {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
                case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
                case UInt8(ascii: "+"): v = 62
                case UInt8(ascii: "/"): v = 63
                case UInt8(ascii: "=") where k + 4 == input.count && j >= 2:
                    pad += 1
                    v = 0
                default: return nil
                }
                if pad > 0 && c != UInt8(ascii: "=") { return nil }  // data after padding
                n = n << 6 | v
            }
            out.append(UInt8(n >> 16 & 0xFF))
            if pad < 2 { out.append(UInt8(n >> 8 & 0xFF)) }
            if pad < 1 { out.append(UInt8(n & 0xFF)) }
            k += 4
        }
        return out
    }

    /// Accepts base64url with or without padding.
    public static func decodeURL(_ text: String) -> [UInt8]? {
        var s = text.replacing("-", with: "+").replacing("_", with: "/")
        while s.utf8.count % 4 != 0 { s += "=" }
        return decode(s)
    }
}
