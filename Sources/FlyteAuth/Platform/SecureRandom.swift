import CSystem
import FlyteAuthCore
import Glibc

/// CSPRNG bytes from the kernel (getrandom(2)): no library to load for them.
public enum SecureRandom {
    public static func bytes(_ count: Int) throws(AuthError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard out.withUnsafeMutableBytes({ fa_getrandom($0.baseAddress, $0.count) }) == 0 else {
            throw AuthError(.internal, "the system random number generator failed (getrandom: \(String(cString: strerror(errno))))")
        }
        return out
    }
}
