/// An access token as a JWT: claims and `exp` read without verifying (the server does).
func fuzzJWT(_ bytes: [UInt8]) {
    let token = String(decoding: bytes, as: UTF8.self)
    _ = JWT.claims(of: token)
    if let exp = JWT.expiry(of: token) { fuzzCheck(exp.isFinite && exp > 0, "JWT expiry \(exp)") }
    let c = Credentials(accessToken: token, obtainedAt: 1_700_000_000)
    // The engine takes only token bytes from any source (TokenSyntax).
    if TokenSyntax.isValid(token) { fuzzCredentials(c) }
}
