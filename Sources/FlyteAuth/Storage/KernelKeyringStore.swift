import CSystem
import FlyteAuthCore
import Glibc
import Synchronization

/// The first cache tier: the canonical item in a kernel keyring (kernel-keyring.md), one
/// `user` key per (endpoint, client id), readable only by its possessors, timed out by
/// the kernel when the token stops being usable. One system call per read, no daemon,
/// no library. Never fails an operation: where the kernel refuses (a container's seccomp
/// profile, no keyring support, over quota) the tier is unavailable and the lower tiers
/// serve, with one debug line saying why.
final class KernelKeyringStore: TokenStore, @unchecked Sendable {
    enum State: Sendable, Equatable {
        case unknown
        case available(Int32)
        case unavailable(String)
    }

    private let mode: KernelKeyringMode
    private let key: CacheKey
    private let tokenEndpoint: String?
    private let policy: RefreshPolicy
    private let logger: Logger
    private let state = Mutex<State>(.unknown)

    init(mode: KernelKeyringMode, key: CacheKey, tokenEndpoint: String?, refreshWindow: Double, logger: Logger) {
        self.mode = mode
        self.key = key
        self.tokenEndpoint = tokenEndpoint
        self.policy = RefreshPolicy(window: refreshWindow)
        self.logger = logger
    }

    /// The key's description: the file cache's key, "flyteauth:<host:port> <client id>".
    var description: String { key.fileKey }

    var name: String { "kernel keyring (\(mode.rawValue))" }

    /// Whether the keyring can be used, finding it on first call.
    var isAvailable: Bool {
        if case .available = keyring() { return true }
        return false
    }

    /// nil until first used.
    var knownAvailability: Bool? {
        switch state.withLock({ $0 }) {
        case .unknown: return nil
        case .available: return true
        case .unavailable: return false
        }
    }

    /// For status: "persistent keyring 123456", or why the tier is unavailable.
    var detail: String {
        switch state.withLock({ $0 }) {
        case .unknown: return "not used yet"
        case .available(let id): return "\(mode.rawValue) keyring \(id), key \"\(description)\""
        case .unavailable(let why): return why
        }
    }

    func load() throws(AuthError) -> Credentials? { entry()?.credentials }

    /// The key's credentials, when they were last confirmed against the durable tiers, and
    /// the Secret Service's change witness then.
    func entry() -> (credentials: Credentials, confirmedAt: Double?, keyringSignal: String?)? {
        guard case .available(let ring) = keyring() else { return nil }
        let id = fa_key_search(ring, description)
        guard id > 0 else {
            let e = fa_errno()
            // Absent, timed out or invalidated: a miss.
            if e != ENOKEY && e != EKEYEXPIRED && e != EKEYREVOKED { markUnavailable("search", e) }
            return nil
        }
        guard let text = read(id) else { return nil }
        guard let found = CanonicalItem.decodeConfirmed(text) else {
            _ = fa_key_invalidate(id)
            return nil
        }
        return found
    }

    func save(_ credentials: Credentials) throws(AuthError) { _ = store(credentials, confirmedAt: Clock.now()) }

    /// Whether the kernel now holds `credentials` (false: unavailable, refused, or the
    /// token too close to its end to be worth caching). `confirmedAt`: when they were
    /// found equal to (or written to) the durable tiers (`CacheCoherence`).
    @discardableResult
    func store(_ credentials: Credentials, confirmedAt: Double, keyringSignal: String? = nil) -> Bool {
        guard case .available(let ring) = keyring() else { return false }
        let usable = policy.hardDeadline(for: credentials) - Clock.now()
        guard usable >= 1 else {
            // An older key must not outlive the newer token.
            removeKeys(ring)
            return false
        }
        var payload = Array(
            CanonicalItem.encode(
                credentials, key: key, tokenEndpoint: tokenEndpoint,
                confirmedAt: confirmedAt, keyringSignal: keyringSignal
            ).utf8)
        defer { fa_explicit_bzero(&payload, payload.count) }
        // add_key replaces the payload of an existing key of the same description in place.
        let id = payload.withUnsafeBytes { fa_key_add(description, $0.baseAddress, $0.count, ring) }
        guard id > 0 else {
            markUnavailable("add_key", fa_errno())
            return false
        }
        // The default mask lets the user view it without possessing it; read stays with
        // the possessors (processes that linked the keyring: the same user's).
        guard fa_key_set_perm(id, FA_KEY_PERM_POSSESSOR_ALL) == 0 else {
            let e = fa_errno()
            _ = fa_key_invalidate(id)
            markUnavailable("setperm", e)
            return false
        }
        if usable.isFinite {
            let seconds = UInt32(min(usable.rounded(.down), Double(UInt32.max)))
            if fa_key_set_timeout(id, seconds) != 0 {
                let e = fa_errno()
                _ = fa_key_invalidate(id)
                markUnavailable("set_timeout", e)
                return false
            }
        } else {
            _ = fa_key_set_timeout(id, 0)
        }
        return true
    }

    func remove() throws(AuthError) {
        guard case .available(let ring) = keyring() else { return }
        removeKeys(ring)
    }

    private func removeKeys(_ ring: Int32) {
        // Every key of ours reachable from the ring (search follows nested keyrings).
        for _ in 0..<8 {
            let id = fa_key_search(ring, description)
            guard id > 0 else { return }
            // Invalidate: gone for every process at once, not just unlinked from one ring.
            if fa_key_invalidate(id) != 0, fa_key_unlink(id, ring) != 0 { return }
        }
    }

    // MARK: - Plumbing

    private func read(_ id: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        defer { fa_explicit_bzero(&buffer, buffer.count) }
        for _ in 0..<3 {
            let n = buffer.withUnsafeMutableBytes { fa_key_read(id, $0.baseAddress, $0.count) }
            if n < 0 {
                let e = fa_errno()
                if e != ENOKEY && e != EKEYEXPIRED && e != EKEYREVOKED { markUnavailable("read", e) }
                return nil
            }
            if n <= buffer.count { return String(decoding: buffer[..<Int(n)], as: UTF8.self) }
            fa_explicit_bzero(&buffer, buffer.count)
            buffer = [UInt8](repeating: 0, count: Int(n))  // it grew between the two calls
        }
        return nil
    }

    private func keyring() -> State {
        let current = state.withLock { $0 }
        if current != .unknown { return current }
        let resolved = resolve()
        let (now, first) = state.withLock { s in
            guard s == .unknown else { return (s, false) }
            s = resolved
            return (s, true)
        }
        if first, case .unavailable(let why) = now { logger.log(.debug, "kernel keyring tier unavailable: \(why)") }
        return now
    }

    private func resolve() -> State {
        switch mode {
        case .off:
            return .unavailable("off (kernel_keyring)")
        case .persistent:
            // Linked into the process keyring, which makes its keys possessed by us.
            let p = fa_key_get_persistent(FA_KEY_SPEC_PROCESS_KEYRING)
            if p > 0 { return .available(p) }
            let e = fa_errno()
            guard e == EOPNOTSUPP else { return .unavailable(KernelKeyringStore.explain("keyctl(GET_PERSISTENT)", e)) }
            // No persistent keyrings in this kernel: the user keyring instead.
            return KernelKeyringStore.special(FA_KEY_SPEC_USER_KEYRING, "@u", create: true)
        case .user:
            return KernelKeyringStore.special(FA_KEY_SPEC_USER_KEYRING, "@u", create: true)
        case .session:
            // Only an existing session keyring: creating one would hide the user's.
            return KernelKeyringStore.special(FA_KEY_SPEC_SESSION_KEYRING, "@s", create: false)
        }
    }

    private static func special(_ spec: Int32, _ label: String, create: Bool) -> State {
        let id = fa_key_keyring_id(spec, create ? 1 : 0)
        return id > 0 ? .available(id) : .unavailable(explain("keyctl(GET_KEYRING_ID \(label))", fa_errno()))
    }

    /// After a refusal mid-use (quota, a policy): stop using the tier for this client.
    private func markUnavailable(_ call: String, _ e: Int32) {
        let why = KernelKeyringStore.explain(call, e)
        let first = state.withLock { s in
            if case .unavailable = s { return false }
            s = .unavailable(why)
            return true
        }
        if first { logger.log(.debug, "kernel keyring tier unavailable: \(why)") }
    }

    static func explain(_ call: String, _ e: Int32) -> String {
        let reason: String
        switch e {
        case EPERM, EACCES: reason = "not permitted (a sandbox or container seccomp profile blocks the keyring calls)"
        case ENOSYS: reason = "this kernel has no key retention service"
        case EOPNOTSUPP: reason = "this kernel has no persistent keyrings"
        case EDQUOT: reason = "the user's key quota is full (/proc/sys/kernel/keys/maxkeys, maxbytes)"
        case ENOKEY: reason = "no such keyring"
        default: reason = String(cString: strerror(e))
        }
        return "\(call): \(reason)"
    }
}
