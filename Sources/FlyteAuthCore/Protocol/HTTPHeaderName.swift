/// RFC 9110 token characters: what a header (gRPC metadata) key may contain.
public enum HTTPHeaderName {
    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                    || "!#$%&'*+-.^_`|~".utf8.contains(b)
            }
    }

    /// Header values must not carry CR, LF or NUL (header injection).
    public static func isSafeValue(_ value: String) -> Bool {
        !value.utf8.contains(where: { $0 == 0 || $0 == 10 || $0 == 13 })
    }
}
