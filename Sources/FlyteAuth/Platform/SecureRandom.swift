import CCrypto
import FlyteAuthCore

/// CSPRNG bytes from OpenSSL.
public enum SecureRandom {
    public static func bytes(_ count: Int) throws(AuthError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&out, Int32(count)) == 1 else {
            throw AuthError(.internal, "the system random number generator failed (RAND_bytes)")
        }
        return out
    }
}
