import FlyteAuthCore
import Glibc
import Synchronization

/// The token cache in the Secret Service: our canonical item, the other tools' layouts
/// read when it is missing, and mirrored after a login so one login serves every tool.
final class KeyringStore: TokenStore, @unchecked Sendable {
    private let keyring: SecretServiceKeyring
    private let key: CacheKey
    private let readLayouts: [ForeignLayout]
    private let mirrorLayouts: [ForeignLayout]
    private let tokenEndpoint: String?
    private let logger: Logger

    init(keyring: SecretServiceKeyring, key: CacheKey, readLayouts: [ForeignLayout], mirrorLayouts: [ForeignLayout],
         tokenEndpoint: String?, logger: Logger) {
        self.keyring = keyring
        self.key = key
        self.readLayouts = readLayouts
        self.mirrorLayouts = mirrorLayouts
        self.tokenEndpoint = tokenEndpoint
        self.logger = logger
    }

    var name: String { "Secret Service (service \"\(key.item.service)\", username \"\(key.item.username)\")" }

    func load() throws(AuthError) -> Credentials? {
        let canonical = try keyring.read([key.item])
        if let text = canonical[key.item] {
            if let c = CanonicalItem.decode(text) { return c }
            logger.warnOnce("canonical-garbage", "the keyring item \(key.item.label) is not readable; it will be replaced at the next login")
        }
        for layout in readLayouts {
            let items = layout.items(for: key.endpoint)
            if let c = layout.decode(try keyring.read(items), endpoint: key.endpoint, now: Clock.now()) {
                logger.log(.info, "using the login \(layout.rawValue) stored in the keyring")
                return c
            }
        }
        return nil
    }

    func save(_ credentials: Credentials) throws(AuthError) {
        try keyring.write(key.item, secret: CanonicalItem.encode(credentials, key: key, tokenEndpoint: tokenEndpoint),
                          application: "libflyteauth")
        for layout in mirrorLayouts {
            do throws(AuthError) {
                for (item, secret) in layout.encode(credentials, endpoint: key.endpoint, now: Clock.now()) {
                    if let secret {
                        // Python keyring's own value, so its later writes replace this item.
                        try keyring.write(item, secret: secret,
                                          application: layout == .flytectl ? "libflyteauth" : "Python keyring library")
                    } else {
                        try keyring.delete(item)
                    }
                }
            } catch {
                logger.warnOnce("mirror-\(layout.rawValue)", "could not mirror the login into \(layout.rawValue)'s keyring layout: \(error.message)")
            }
        }
    }

    func remove() throws(AuthError) {
        try keyring.delete(key.item)
        for layout in ForeignLayout.allCases {
            for item in layout.items(for: key.endpoint) { try keyring.delete(item) }
        }
    }
}

/// The opt-in plaintext cache for machines without a Secret Service: one JSON file,
/// mode 0600, replaced atomically, keyed like the keyring (`CacheKey.fileKey`).
final class FileStore: TokenStore, @unchecked Sendable {
    let path: String
    private let key: CacheKey
    private let tokenEndpoint: String?
    private let lockTimeout: Double
    private let sweptAbandoned = Atomic<Bool>(false)

    init(path: String, key: CacheKey, tokenEndpoint: String?, lockTimeout: Double) {
        self.path = path
        self.key = key
        self.tokenEndpoint = tokenEndpoint
        self.lockTimeout = lockTimeout
    }

    var name: String { "file \(path)" }

    func load() throws(AuthError) -> Credentials? {
        // A writer killed between its write and its rename leaves a temporary file; the
        // next process to look cleans up, whether or not it writes (a dead pid never
        // renames). Once per store: writers clean up under the lock anyway.
        if !sweptAbandoned.exchange(true, ordering: .relaxed) { FileIO.removeAbandonedTemporaries(of: path) }
        guard let entry = try readAll()[key.fileKey] else { return nil }
        return CanonicalItem.decode(entry.serialized)
    }

    func save(_ credentials: Credentials) throws(AuthError) {
        let entry = try JSONValue.parse(Array(CanonicalItem.encode(credentials, key: key, tokenEndpoint: tokenEndpoint).utf8), what: "entry")
        try update { $0[key.fileKey] = entry }
    }

    func remove() throws(AuthError) {
        try update { $0[key.fileKey] = nil }
    }

    private func readAll() throws(AuthError) -> [String: JSONValue] {
        let bytes: [UInt8]
        do throws(AuthError) { bytes = try FileIO.read(path, limit: JSONValue.maximumSize) } catch {
            if access(path, F_OK) != 0 { return [:] }
            throw AuthError(.cache, "token file: \(error.message)")
        }
        guard let o = (try? JSONValue.parse(bytes, what: "token file"))?.objectValue else {
            throw AuthError(.cache, "token file \(path) is not a JSON object; remove it or fix it")
        }
        return o
    }

    /// Read-modify-write under the file's own lock, so two processes never lose an entry.
    private func update(_ change: (inout [String: JSONValue]) -> Void) throws(AuthError) {
        let dir = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !dir.isEmpty && !Paths.makeDirectories(dir) {
            throw AuthError(.cache, "cannot create \(dir): \(errnoText())")
        }
        try FlockLock(path: path + ".lock").withLock(timeout: lockTimeout, cancel: nil) { () throws(AuthError) in
            FileIO.removeAbandonedTemporaries(of: path)
            var all = (try? readAll()) ?? [:]
            change(&all)
            try FileIO.writeAtomically(path, Array(JSONValue.object(all).serialized.utf8), mode: 0o600)
        }
    }
}

/// Keyring first; the file cache (when opted in) where the keyring cannot be used.
final class FallbackStore: TokenStore, @unchecked Sendable {
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
            logger.warnOnce("fallback-load", "\(error.message); using \(fallback.name)")
        }
        return try fallback.load()
    }

    func save(_ credentials: Credentials) throws(AuthError) {
        do throws(AuthError) { try primary.save(credentials) } catch {
            logger.warnOnce("fallback-save", "\(error.message); using \(fallback.name)")
            try fallback.save(credentials)
        }
    }

    func remove() throws(AuthError) {
        var failure: AuthError?
        do throws(AuthError) { try primary.remove() } catch { failure = error }
        try fallback.remove()
        if let failure { logger.log(.warning, failure.message) }
    }
}
