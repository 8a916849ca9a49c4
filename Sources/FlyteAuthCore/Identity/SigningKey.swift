import CCrypto
import Glibc

/// A private key from a PEM file (PKCS#1, PKCS#8 or SEC1), checked once: RSA of at least
/// 2048 bits (RS256) or EC P-256 (ES256). An encrypted or weak key is a configuration
/// error naming the file. libcrypto is loaded here, on first use, never on the warm path.
public final class SigningKey: @unchecked Sendable {
    public let path: String
    public let algorithm: ClientAssertion.Algorithm
    public let bits: Int
    /// The RFC 7638 thumbprint of the public key.
    public let thumbprint: String
    /// Set once, used read-only; EVP_PKEY signing is safe from several threads.
    private let key: UnsafeMutableRawPointer

    public init(path: String, pem: [UInt8], setting: String = "private_key_file") throws(AuthError) {
        self.path = path
        let text = String(decoding: pem, as: UTF8.self)
        if text.contains("ENCRYPTED") {
            throw AuthError(.config, "\(setting): \(path) is an encrypted key; libflyteauth cannot ask for its passphrase (decrypt it to a file only you can read: openssl pkey -in KEY -out KEY.plain)")
        }
        var err = [CChar](repeating: 0, count: 512)
        var loaded: UnsafeMutableRawPointer?
        guard fa_pkey_load_pem(pem, pem.count, &loaded, &err, err.count) == 0, let loaded else {
            throw AuthError(.config, "\(setting): \(path) holds no PEM private key that can be read (\(SigningKey.text(err)))")
        }
        var type: Int32 = 0, bits: Int32 = 0
        var group = [CChar](repeating: 0, count: 64)
        _ = fa_pkey_describe(loaded, &type, &bits, &group, group.count)
        self.bits = Int(bits)
        switch Int(type) {
        case Int(FA_PKEY_RSA):
            guard bits >= 2048 else {
                fa_pkey_free(loaded)
                throw AuthError(.config, "\(setting): \(path) is a \(bits)-bit RSA key; at least 2048 bits are required")
            }
            algorithm = .rs256
        case Int(FA_PKEY_EC):
            let name = SigningKey.text(group)
            guard name == "prime256v1" || name == "P-256" else {
                fa_pkey_free(loaded)
                throw AuthError(.config, "\(setting): \(path) is an EC key on \(name.isEmpty ? "an unknown curve" : name); only P-256 (ES256) is supported")
            }
            algorithm = .es256
        default:
            fa_pkey_free(loaded)
            throw AuthError(.config, "\(setting): \(path) is neither an RSA nor an EC P-256 key")
        }
        var a = [UInt8](repeating: 0, count: 1024), b = [UInt8](repeating: 0, count: 1024)
        var alen = 0, blen = 0
        guard fa_pkey_public_params(loaded, &a, a.count, &alen, &b, b.count, &blen) == 0 else {
            fa_pkey_free(loaded)
            throw AuthError(.config, "\(setting): \(path): the public key cannot be derived")
        }
        let (first, second) = (Base64.encodeURL(a[0..<alen]), Base64.encodeURL(b[0..<blen]))
        thumbprint = algorithm == .rs256
            ? ClientAssertion.jwkThumbprint(["kty": "RSA", "n": first, "e": second])
            : ClientAssertion.jwkThumbprint(["kty": "EC", "crv": "P-256", "x": first, "y": second])
        key = loaded
    }

    deinit { fa_pkey_free(key) }

    public func sign(_ input: String) throws(AuthError) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: 1024)
        var length = signature.count
        var err = [CChar](repeating: 0, count: 512)
        let bytes = Array(input.utf8)
        guard fa_pkey_sign_sha256(key, bytes, bytes.count, &signature, &length, &err, err.count) == 0 else {
            throw AuthError(.internal, "signing the client assertion with \(path) failed: \(SigningKey.text(err))")
        }
        return Array(signature[0..<length])
    }

    /// base64url SHA-256 of the DER certificate in `pem`, which must hold this key's
    /// public half (`x5t#S256`).
    public func certificateThumbprint(pem: [UInt8], path certificatePath: String) throws(AuthError) -> String {
        var der: UnsafeMutablePointer<UInt8>?
        var length = 0
        var err = [CChar](repeating: 0, count: 512)
        guard fa_x509_pem_to_der(pem, pem.count, key, &der, &length, &err, err.count) == 0, let der else {
            throw AuthError(.config, "certificate_file: \(certificatePath): \(SigningKey.text(err))")
        }
        defer { free(der) }
        return Base64.encodeURL(SHA256.hash(UnsafeBufferPointer(start: der, count: length)))
    }

    /// A NUL-terminated C buffer as text.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
