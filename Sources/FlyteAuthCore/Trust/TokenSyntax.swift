/// Token bytes: what may be put in a header, printed or cached. RFC 6750's b64token is
/// narrower; every token seen in the wild is printable ASCII without spaces, and that is
/// exactly what can never inject a header line or a terminal escape.
public enum TokenSyntax {
    public static func isValid(_ token: String) -> Bool {
        !token.isEmpty && token.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// Throws an error naming `source` (never the token) when `token` is not valid.
    public static func check(_ token: String, what: String = "access token", source: String, kind: ErrorKind = .protocol) throws(AuthError) {
        guard isValid(token) else {
            throw AuthError(kind, "the \(what) from \(source) is not usable: it contains spaces, control or non-ASCII characters (a token is printable ASCII); it was not used")
        }
    }
}
