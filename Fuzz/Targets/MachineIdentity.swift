/// What a token command prints: a bare token or one of three JSON documents.
func fuzzCommandOutput(_ bytes: [UInt8]) {
    switch CommandOutput.parse(bytes, now: 1_700_000_000) {
    case .success(let output):
        fuzzCheck(!output.token.isEmpty && !output.token.contains(" "), "command output token")
        if let e = output.expiresAt { fuzzCheck(e.isFinite, "command output expiry \(e)") }
        // What `flyteauth token --format` prints must read back the same.
        for format in ["oauth", "exec-credential", "credential-process"] {
            guard let doc = CommandOutput.document(token: output.token, expiresAt: output.expiresAt.map { $0.rounded(.down) },
                                                   format: format, now: 1_700_000_000) else { continue }
            guard case .success(let back) = CommandOutput.parse(Array(doc.serialized.utf8), now: 1_700_000_000) else {
                fuzzCheck(false, "\(format) document does not parse back")
                return
            }
            fuzzCheck(back.token == output.token, "\(format) round trip")
        }
    case .failure:
        break
    }
}

/// A credential source object from the settings ({"file": ...} and the rest).
func fuzzCredentialSource(_ bytes: [UInt8]) {
    guard let value = try? JSONValue.parse(bytes, what: "fuzz") else { return }
    if let source = try? CredentialSource.parse(value, context: "fuzz") {
        fuzzCheck((try? CredentialSource.parse(source.json, context: "fuzz")) == source, "credential source round trip")
    }
}

/// A PEM private key or certificate, as private_key_file and certificate_file hold them.
func fuzzPrivateKeyPEM(_ bytes: [UInt8]) {
    guard let key = try? SigningKey(path: "fuzz.pem", pem: bytes) else { return }
    fuzzCheck(key.algorithm == .rs256 ? key.bits >= 2048 : key.algorithm == .es256, "key accepted: \(key.algorithm)")
    if let signature = try? key.sign("header.claims") {
        fuzzCheck(key.algorithm != .es256 || signature.count == 64, "ES256 signature is r||s")
    }
    _ = try? key.certificateThumbprint(pem: bytes, path: "fuzz.pem")
}

/// An external token's claims as doctor reads them.
func fuzzExternalClaims(_ bytes: [UInt8]) {
    let token = String(decoding: bytes, as: UTF8.self)
    guard let claims = ExternalTokenClaims(token: token) else { return }
    if let e = claims.expiresAt { fuzzCheck(e.isFinite && e > 0, "external token exp") }
    _ = claims.lines
}
