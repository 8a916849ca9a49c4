import FlyteAuthCore
import Synchronization

/// One tier's state for status: `{name, available, detail}`; `available` is nil until the
/// tier has been used (status does no I/O of its own).
public struct CacheTierStatus: Sendable {
    public var name: String
    public var available: Bool?
    public var detail: String

    public var json: JSONValue {
        .object(["name": .string(name), "available": available.map(JSONValue.bool) ?? .null, "detail": .string(detail)])
    }
}

/// A store made of tiers, for status: which tier served the token, and each tier's state.
public protocol TierReporting: Sendable {
    /// "kernel", "secret_service" or "file": the tier the last load found the token in.
    var servedTier: String? { get }
    var tiers: [CacheTierStatus] { get }
}

/// The cache tiers in order: the kernel keyring (microseconds, memory only, gone at
/// reboot), the Secret Service with the other tools' layouts (durable, D-Bus, about
/// 10 ms), and the opt-in file, written only when neither of the others took the login.
///
/// Read: the first tier that has the token; a hit below the kernel tier is promoted into
/// it so the next process pays two system calls. Write: every tier in use. Remove
/// (logout, a refused refresh token): every tier.
final class TieredStore: TokenStore, TierReporting, @unchecked Sendable {
    private let kernel: KernelKeyringStore?
    private let secretService: TokenStore?
    private let file: TokenStore?
    private let logger: Logger
    /// The tier that served the last load; the Secret Service's last outcome (nil: not
    /// used yet, "" reachable, else the error).
    private let outcome = Mutex<(served: String?, secretService: String?)>((nil, nil))

    init(kernel: KernelKeyringStore?, secretService: TokenStore?, file: TokenStore?, logger: Logger) {
        self.kernel = kernel
        self.secretService = secretService
        self.file = file
        self.logger = logger
    }

    var name: String {
        var parts: [String] = []
        if let kernel, kernel.isAvailable { parts.append(kernel.name) }
        if let secretService { parts.append(secretService.name) }
        if let file { parts.append(file.name) }
        return parts.isEmpty ? "memory only" : parts.joined(separator: ", else ")
    }

    private var kernelAvailable: Bool { kernel?.isAvailable ?? false }

    func load() throws(AuthError) -> Credentials? {
        if let kernel, let c = try kernel.load() {
            outcome.withLock { $0.served = "kernel" }
            return c
        }
        var failure: AuthError?
        var found: (Credentials, String)?
        if let secretService {
            do throws(AuthError) {
                if let c = try secretService.load() { found = (c, "secret_service") }
                note(secretService: "")
            } catch {
                note(secretService: error.message)
                failure = error
            }
        }
        if found == nil, let file {
            do throws(AuthError) {
                if let c = try file.load() { found = (c, "file") }
                failure = nil
            } catch {
                failure = error
            }
        }
        if let (c, tier) = found {
            outcome.withLock { $0.served = tier }
            kernel?.store(c)  // promote: the next process reads it in microseconds
            return c
        }
        outcome.withLock { $0.served = nil }
        // With the kernel tier in use, a missing Secret Service is the headless case, not
        // a failure: logins are shared through the kernel keyring.
        if let failure, !kernelAvailable { throw failure }
        if let failure { logger.log(.debug, "\(failure.message); the kernel keyring tier serves alone") }
        return nil
    }

    /// The file is written only when the kernel could not take the login (unavailable,
    /// over quota) and the Secret Service is off or failed: a plaintext copy on disk only
    /// where nothing else can share the login.
    func save(_ credentials: Credentials) throws(AuthError) {
        let inKernel = kernel?.store(credentials) ?? false
        var failure: AuthError?
        if let secretService {
            do throws(AuthError) {
                try secretService.save(credentials)
                note(secretService: "")
            } catch {
                note(secretService: error.message)
                failure = error
            }
        }
        if let file, !inKernel, failure != nil || secretService == nil {
            if let failure { logger.warnOnce("fallback-save", "\(failure.message); using \(file.name)") }
            failure = nil
            try file.save(credentials)
        }
        guard let failure else { return }
        if !inKernel { throw failure }
        logger.log(.info, "\(failure.message); the login is shared through the kernel keyring only (memory, until reboot)")
    }

    func remove() throws(AuthError) {
        try kernel?.remove()
        var failure: AuthError?
        if let secretService {
            do throws(AuthError) { try secretService.remove() } catch { failure = error }
        }
        // The file too, wherever it exists: a logout leaves no login behind.
        if let file { try file.remove() }
        outcome.withLock { $0.served = nil }
        guard let failure else { return }
        if !kernelAvailable || file != nil { logger.log(.warning, failure.message) } else { logger.log(.info, failure.message) }
    }

    /// A refused refresh token (invalid_grant) ends the login in every tier: the kernel
    /// key and the file entry go, the Secret Service drops our item and the token from the
    /// other tools' layouts (`KeyringStore.forgetRefreshToken`).
    func forgetRefreshToken(_ refreshToken: String) throws(AuthError) {
        var failure: AuthError?
        do throws(AuthError) { try kernel?.remove() } catch { failure = error }
        if let secretService {
            do throws(AuthError) { try secretService.forgetRefreshToken(refreshToken) } catch { failure = failure ?? error }
        }
        if let file {
            do throws(AuthError) {
                if let c = try file.load(), c.refreshToken == refreshToken { try file.remove() }
            } catch { failure = failure ?? error }
        }
        outcome.withLock { $0.served = nil }
        if let failure { logger.warnOnce("fallback", failure.message) }
    }

    // MARK: - Status

    var servedTier: String? { outcome.withLock { $0.served } }

    var tiers: [CacheTierStatus] {
        let o = outcome.withLock { $0 }
        var out: [CacheTierStatus] = []
        if let kernel {
            out.append(CacheTierStatus(name: "kernel", available: kernel.knownAvailability, detail: kernel.detail))
        } else {
            out.append(CacheTierStatus(name: "kernel", available: false, detail: "off (kernel_keyring: off)"))
        }
        if let secretService {
            let error = o.secretService
            out.append(
                CacheTierStatus(
                    name: "secret_service", available: error.map { $0.isEmpty },
                    detail: error.flatMap { $0.isEmpty ? nil : $0 } ?? secretService.name))
        } else {
            out.append(CacheTierStatus(name: "secret_service", available: false, detail: "off (keyring: false)"))
        }
        if let file {
            out.append(
                CacheTierStatus(
                    name: "file", available: true,
                    detail: file.name + " (written only when neither the kernel tier nor the Secret Service took the login)"))
        } else {
            out.append(CacheTierStatus(name: "file", available: false, detail: "off (file_cache: false)"))
        }
        return out
    }

    private func note(secretService error: String?) {
        outcome.withLock { $0.secretService = error }
    }
}
