import FlyteAuthCore
import Glibc

/// What `flyteauth doctor` checks of a machine's credentials: the key file (present,
/// permissions, parses, algorithm), the certificate, and each external token's claims
/// (never the token itself).
public enum IdentityInspection {
    public struct Key: Sendable {
        public var algorithm: String
        public var bits: Int
        public var thumbprint: String
        /// Permission bits; readable by group or others when `mode & 0o044 != 0`.
        public var mode: UInt32
        public var isExposed: Bool { mode & 0o044 != 0 }
    }

    public static func key(_ path: String) throws(AuthError) -> Key {
        let contents = try KeyFile.read(path, setting: "private_key_file")
        let key = try SigningKey(path: path, pem: contents.bytes)
        return Key(algorithm: key.algorithm.rawValue, bits: key.bits, thumbprint: key.thumbprint, mode: UInt32(contents.mode))
    }

    /// The certificate's `x5t#S256`; it must hold `keyPath`'s public half.
    public static func certificate(_ path: String, keyPath: String) throws(AuthError) -> String {
        let keyContents = try KeyFile.read(keyPath, setting: "private_key_file")
        let key = try SigningKey(path: keyPath, pem: keyContents.bytes)
        return try key.certificateThumbprint(pem: KeyFile.read(path, setting: "certificate_file").bytes, path: path)
    }

    /// The claims of the token `source` gives now (nil when it is not a JWT). The token
    /// is read as the flow reads it (a command runs, GitHub's endpoint is asked).
    public static func externalClaims(_ source: CredentialSource, what: String, client: AuthClient) throws(AuthError) -> ExternalTokenClaims? {
        let token = try ExternalToken.read(source, what: what, context: client.makeContext(cancel: client.cancelSource.token()),
                                           checkExpiry: false)
        return ExternalTokenClaims(token: token)
    }
}
