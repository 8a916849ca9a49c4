import FlyteAuthCore

/// Keyring first; the file cache (when opted in) where the keyring cannot be used.
/// One warning however many operations find the keyring unusable (no D-Bus: load and
/// save both fail for the same reason).
final class FallbackStore: TokenStore, Sendable {
    private let primary: TokenStore
    private let fallback: TokenStore
    private let logger: Logger

    init(primary: TokenStore, fallback: TokenStore, logger: Logger) {
        self.primary = primary
        self.fallback = fallback
        self.logger = logger
    }

    var name: String { primary.name + ", else " + fallback.name }

    func load() throws(AuthError) -> Credentials? {
        do throws(AuthError) {
            if let c = try primary.load() { return c }
        } catch {
            logger.warnOnce("fallback", "\(error.message); using \(fallback.name)")
        }
        return try fallback.load()
    }

    func save(_ credentials: Credentials) throws(AuthError) {
        do throws(AuthError) { try primary.save(credentials) } catch {
            logger.warnOnce("fallback", "\(error.message); using \(fallback.name)")
            try fallback.save(credentials)
        }
    }

    /// From both: the file may hold a copy written while the keyring was unusable.
    func forgetRefreshToken(_ refreshToken: String) throws(AuthError) {
        var failure: AuthError?
        do throws(AuthError) { try primary.forgetRefreshToken(refreshToken) } catch { failure = error }
        try fallback.forgetRefreshToken(refreshToken)
        if let failure { logger.warnOnce("fallback", "\(failure.message); using \(fallback.name)") }
    }

    func remove() throws(AuthError) {
        var failure: AuthError?
        do throws(AuthError) { try primary.remove() } catch { failure = error }
        try fallback.remove()
        if let failure { logger.warnOnce("fallback", "\(failure.message); using \(fallback.name)") }
    }
}
