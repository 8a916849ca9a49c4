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

/// A cache tier; the raw value is the name status shows.
public enum CacheTier: String, Sendable {
    case kernel
    case secretService = "secret_service"
    case file
}

/// How the Secret Service fared the last time it was used.
enum SecretServiceOutcome: Sendable {
    case unused
    case reachable
    case failed(String)
}

/// A store made of tiers, for status: which tier served the token, and each tier's state.
public protocol TierReporting: Sendable {
    /// The tier the last load found the token in.
    var servedTier: CacheTier? { get }
    var tiers: [CacheTierStatus] { get }
}

/// The cache tiers in order: the kernel keyring (microseconds, memory only, gone at
/// reboot), the Secret Service with the other tools' layouts (durable, D-Bus, about
/// 10 ms), and the opt-in file, written only when neither of the others took the login.
///
/// Read: the kernel key while the durable tiers have not changed since it was confirmed
/// against them (`CacheCoherence`), else the durable tiers, whose answer is promoted into the
/// kernel so the next process pays two system calls. A refresh reads the durable tiers
/// only (`loadAuthoritative`). Write: every tier in use, the kernel last. Remove (logout,
/// a refused refresh token): every tier.
final class TieredStore: TokenStore, TierReporting, @unchecked Sendable {
    private let kernel: KernelKeyringStore?
    private let secretService: TokenStore?
    private let file: TokenStore?
    private let logger: Logger
    /// The tier that served the last load; the Secret Service's last outcome.
    private let outcome = Mutex<(served: CacheTier?, secretService: SecretServiceOutcome)>((nil, .unused))

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

    /// The kernel key while `CacheCoherence` says it still agrees with the durable tiers;
    /// else the durable tiers, whose answer replaces (or removes) the kernel key.
    func load() throws(AuthError) -> Credentials? {
        var cached: Credentials?
        if let kernel, let entry = kernel.entry() {
            let fresh = !CacheCoherence.mustConfirm(
                confirmedAt: entry.confirmedAt, signalAtConfirmation: entry.keyringSignal,
                signalNow: keyringSignal(), now: Clock.now())
            if fresh || !canConfirm {
                outcome.withLock { $0.served = .kernel }
                return entry.credentials
            }
            cached = entry.credentials
        }
        return try loadDurable(cached: cached).credentials
    }

    /// What a refresh starts from: the durable tiers (our item, every tool's layout, the
    /// file), never the kernel key, which serves alone only when they cannot be read.
    func loadAuthoritative() throws(AuthError) -> AuthoritativeRead {
        guard hasDurableTier else {
            // The kernel tier alone: the authority when it works, else nothing is known.
            return AuthoritativeRead(credentials: kernel?.entry()?.credentials, definitive: kernelAvailable)
        }
        return try loadDurable(cached: kernel?.entry()?.credentials)
    }

    /// The Secret Service's change witness, where we use one.
    private func keyringSignal() -> String? { secretService == nil ? nil : KeyringChangeSignal.current() }

    private var hasDurableTier: Bool { secretService != nil || file != nil }

    /// Whether a durable tier could answer a confirmation: the file, or a Secret Service
    /// on a session bus that exists (checked without loading any library).
    private var canConfirm: Bool { file != nil || (secretService != nil && SessionBus.mayBeReachable()) }

    /// Reads the Secret Service, else the file, and makes the kernel key agree: the
    /// durable answer is stored and stamped confirmed, an empty answer (a logout) removes
    /// the key. When they cannot be read, `cached` (the kernel key) serves alone: no
    /// other tool can write them either.
    private func loadDurable(cached: Credentials?) throws(AuthError) -> AuthoritativeRead {
        let now = Clock.now()
        // Before the read: a write during it moves the witness past what is recorded, and
        // the next reader confirms again.
        let signal = keyringSignal()
        var failure: AuthError?
        var found: (Credentials, CacheTier)?
        if let secretService {
            do throws(AuthError) {
                if let c = try secretService.load() { found = (c, .secretService) }
                note(secretService: .reachable)
            } catch {
                note(secretService: .failed(error.message))
                failure = error
            }
        }
        if found == nil, let file {
            do throws(AuthError) {
                if let c = try file.load() { found = (c, .file) }
                failure = nil
            } catch {
                failure = error
            }
        }
        if let (c, tier) = found {
            outcome.withLock { $0.served = tier }
            kernel?.store(c, confirmedAt: now, keyringSignal: signal)  // the next process reads it in microseconds
            return AuthoritativeRead(credentials: c, definitive: true)
        }
        if let failure, kernelAvailable {
            // Not restamped: it was not confirmed, and the next reader tries again.
            logger.log(.debug, "\(failure.message); the kernel keyring tier serves alone")
            outcome.withLock { $0.served = cached == nil ? nil : .kernel }
            return AuthoritativeRead(credentials: cached, definitive: false, durableTierDown: canConfirm)
        }
        outcome.withLock { $0.served = nil }
        if let failure { throw failure }
        // Readable and empty: the login was ended (a logout, a refused refresh token).
        if cached != nil { try kernel?.remove() }
        return AuthoritativeRead(credentials: nil, definitive: true)
    }

    /// The durable tiers first, the kernel key last: a process confirming the key between
    /// the two writes reads the new tokens, never puts the old ones back. The file is
    /// written only when the kernel could not take the login (unavailable, over quota)
    /// and the Secret Service is off or failed: a plaintext copy on disk only where
    /// nothing else can share the login.
    func save(_ credentials: Credentials) throws(AuthError) {
        var failure: AuthError?
        if let secretService {
            do throws(AuthError) {
                try secretService.save(credentials)
                note(secretService: .reachable)
            } catch {
                note(secretService: .failed(error.message))
                failure = error
            }
        }
        // The witness after our own write: the durable tiers now hold what the key holds.
        let signal = failure == nil ? keyringSignal() : nil
        let inKernel = kernel?.store(credentials, confirmedAt: Clock.now(), keyringSignal: signal) ?? false
        if let file, !inKernel, failure != nil || secretService == nil {
            if let failure { logger.warnOnce("fallback-save", "\(failure.message); using \(file.name)") }
            failure = nil
            try file.save(credentials)
        }
        guard let failure else { return }
        if !inKernel { throw failure }
        logger.log(.info, "\(failure.message); the login is shared through the kernel keyring only (memory, until reboot)")
    }

    /// A server rejected `accessToken`: the kernel key goes, the durable copies keep
    /// their refresh token but are marked expired, so no process serves the token again
    /// and the next one to need a token refreshes (under the lock, from the newest state).
    func invalidate(accessToken: String) throws(AuthError) {
        if let kernel, kernel.entry()?.credentials.accessToken == accessToken { try kernel.remove() }
        var failure: AuthError?
        if let secretService {
            do throws(AuthError) { try secretService.invalidate(accessToken: accessToken) } catch { failure = error }
        }
        if let file {
            do throws(AuthError) { try file.invalidate(accessToken: accessToken) } catch { failure = failure ?? error }
        }
        if let failure { logger.warnOnce("fallback", failure.message) }
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

    var servedTier: CacheTier? { outcome.withLock { $0.served } }

    var tiers: [CacheTierStatus] {
        let o = outcome.withLock { $0 }
        var out: [CacheTierStatus] = []
        if let kernel {
            out.append(CacheTierStatus(name: "kernel", available: kernel.knownAvailability, detail: kernel.detail))
        } else {
            out.append(CacheTierStatus(name: "kernel", available: false, detail: "off (kernel_keyring: off)"))
        }
        if let secretService {
            let status =
                switch o.secretService {
                case .unused: CacheTierStatus(name: "secret_service", available: nil, detail: secretService.name)
                case .reachable: CacheTierStatus(name: "secret_service", available: true, detail: secretService.name)
                case .failed(let message): CacheTierStatus(name: "secret_service", available: false, detail: message)
                }
            out.append(status)
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

    private func note(secretService result: SecretServiceOutcome) {
        outcome.withLock { $0.secretService = result }
    }
}
