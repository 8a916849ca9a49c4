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
    private let logger: Logger?

    init(path: String, key: CacheKey, tokenEndpoint: String?, lockTimeout: Double, logger: Logger? = nil) {
        self.path = path
        self.logger = logger
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
        guard let credentials = CanonicalItem.decode(entry.serialized) else {
            if let token = entry.objectValue?["access_token"]?.stringValue, !TokenSyntax.isValid(token) {
                logger?.warnOnce("token-file-bytes", "token file \(path): the cached access token contains spaces, control or non-ASCII characters; it is ignored and never served")
            }
            return nil
        }
        return credentials
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
        let logger = self.logger
        do throws(AuthError) {
            bytes = try FileIO.read(path, limit: JSONValue.maximumSize, kind: .privateFile, what: "token file",
                                   fixed: { logger?.warnOnce("token-file-mode", $0) })
        } catch {
            // Not there yet: nothing cached, unless the directory it would be in is one
            // another user controls (then that is the error).
            var st = stat()
            if lstat(path, &st) != 0 && errno == ENOENT {
                let dir = FileTrust.directoryOf(path)
                if stat(dir, &st) != 0 { return [:] }
                try FileTrust.checkDirectory(dir, what: "token file \(path)")
                return [:]
            }
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
        try FileTrust.checkDirectory(dir.isEmpty ? "." : dir, what: "token file \(path)")
        try FlockLock(path: path + ".lock").withLock(timeout: lockTimeout, cancel: nil) { () throws(AuthError) in
            FileIO.removeAbandonedTemporaries(of: path)
            var all = (try? readAll()) ?? [:]
            change(&all)
            try FileIO.writeAtomically(path, Array(JSONValue.object(all).serialized.utf8), mode: 0o600)
        }
    }
}
