import FlyteAuthCore
import Glibc
import Synchronization

/// The opt-in plaintext cache for machines without a Secret Service: one JSON file,
/// mode 0600, replaced atomically, keyed like the keyring (`CacheKey.fileKey`).
final class FileStore: TokenStore, Sendable {
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
