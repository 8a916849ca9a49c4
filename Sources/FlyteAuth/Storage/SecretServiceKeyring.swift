import CSecret
import FlyteAuthCore
import Glibc
import Synchronization

/// Reads and writes Secret Service items by `service` and `username`, the way Python
/// keyring and go-keyring do. Every D-Bus call is bounded by a deadline and never
/// prompts: a locked collection counts as unavailable.
final class SecretServiceKeyring: @unchecked Sendable {
    private let timeout: Double

    /// Set once libsecret has been used in this process: after a fork its D-Bus
    /// connection is unusable in the child, where the first call would hang.
    private static let usedInPID = Atomic<Int32>(0)

    init(timeout: Double) { self.timeout = timeout }

    /// Secrets of those `items` that exist (the first match of each).
    func read(_ items: [KeyringItem]) throws(AuthError) -> [KeyringItem: String] {
        try withService { (service, cancellable) throws(AuthError) in
            var found: [KeyringItem: String] = [:]
            for item in items {
                let matches = try search(service, item, cancellable, loadSecrets: true)
                defer { SecretServiceKeyring.free(matches) }
                for m in matches {
                    if let text = SecretServiceKeyring.secretText(m) {
                        found[item] = text
                        break
                    }
                }
            }
            return found
        }
    }

    /// Secrets of every item with this `service`, by username (the first match of each):
    /// one search for all of flytekit's and flyte-sdk's items of an endpoint.
    func read(service name: String) throws(AuthError) -> [KeyringItem: String] {
        try withService { (service, cancellable) throws(AuthError) in
            let matches = try search(service, KeyringItem(service: name, username: ""), cancellable, loadSecrets: true,
                                     anyUsername: true)
            defer { SecretServiceKeyring.free(matches) }
            var found: [KeyringItem: String] = [:]
            for m in matches {
                guard let attributes = secret_item_get_attributes(m) else { continue }
                defer { g_hash_table_unref(attributes) }
                guard let raw = g_hash_table_lookup(attributes, "username") else { continue }
                let item = KeyringItem(service: name, username: String(cString: raw.assumingMemoryBound(to: CChar.self)))
                if found[item] == nil, let text = SecretServiceKeyring.secretText(m) { found[item] = text }
            }
            return found
        }
    }

    private static func secretText(_ m: UnsafeMutablePointer<SecretItem>) -> String? {
        guard let value = secret_item_get_secret(m) else { return nil }
        defer { secret_value_unref(UnsafeMutableRawPointer(value)) }
        var length = 0
        guard let bytes = secret_value_get(value, &length) else { return nil }
        let buffer = UnsafeRawBufferPointer(start: bytes, count: length)
        return String(validating: buffer.bindMemory(to: UInt8.self), as: UTF8.self)
    }

    /// Leaves exactly one item for (service, username) holding `secret`: the first
    /// match is updated in place and extras deleted; else one is created.
    func write(_ item: KeyringItem, secret: String, application: String) throws(AuthError) {
        try withService { (service, cancellable) throws(AuthError) in
            let matches = try search(service, item, cancellable, loadSecrets: false)
            defer { SecretServiceKeyring.free(matches) }
            let value = secret_value_new(secret, -1, "text/plain")
            defer { secret_value_unref(UnsafeMutableRawPointer(value)) }
            var error: UnsafeMutablePointer<GError>?
            if let first = matches.first {
                guard secret_item_set_secret_sync(first, value, cancellable, &error) != 0 else {
                    throw SecretServiceKeyring.failure("cannot update \(item.label)", error)
                }
                for extra in matches.dropFirst() { _ = secret_item_delete_sync(extra, cancellable, nil) }
                return
            }
            guard let collection = secret_collection_for_alias_sync(service, SECRET_COLLECTION_DEFAULT,
                                                                    SECRET_COLLECTION_NONE, cancellable, &error) else {
                throw SecretServiceKeyring.failure("no default keyring collection", error)
            }
            defer { g_object_unref(collection) }
            if secret_collection_get_locked(collection) != 0 {
                throw AuthError(.cache, "the default keyring collection is locked (unlock it, or opt in to the file cache)")
            }
            let attributes = fa_secret_attributes(item.service, item.username)
            fa_secret_attributes_add(attributes, "application", application)
            defer { g_hash_table_unref(attributes) }
            // No schema: libsecret would add xdg:schema, which the other tools never match.
            // REPLACE: two processes creating the same item at once (two first readers
            // recording an import) leave one item, as their attributes are identical.
            guard let created = secret_item_create_sync(collection, nil, attributes, item.label, value,
                                                        SECRET_ITEM_CREATE_REPLACE, cancellable, &error) else {
                throw SecretServiceKeyring.failure("cannot create \(item.label)", error)
            }
            g_object_unref(created)
        }
    }

    /// Removes every item matching (service, username).
    func delete(_ item: KeyringItem) throws(AuthError) {
        try withService { (service, cancellable) throws(AuthError) in
            let matches = try search(service, item, cancellable, loadSecrets: false)
            defer { SecretServiceKeyring.free(matches) }
            for m in matches {
                var error: UnsafeMutablePointer<GError>?
                guard secret_item_delete_sync(m, cancellable, &error) != 0 else {
                    throw SecretServiceKeyring.failure("cannot delete \(item.label)", error)
                }
            }
        }
    }

    // MARK: - libsecret plumbing

    private func search(_ service: UnsafeMutablePointer<SecretService>, _ item: KeyringItem,
                        _ cancellable: UnsafeMutablePointer<GCancellable>, loadSecrets: Bool, anyUsername: Bool = false)
        throws(AuthError) -> [UnsafeMutablePointer<SecretItem>] {
        let attributes = fa_secret_attributes(item.service, item.username)
        if anyUsername { g_hash_table_remove(attributes, "username") }
        defer { g_hash_table_unref(attributes) }
        var error: UnsafeMutablePointer<GError>?
        // Unlocked items only: never trigger an unlock prompt.
        let flags = SecretSearchFlags(rawValue: SECRET_SEARCH_ALL.rawValue | (loadSecrets ? SECRET_SEARCH_LOAD_SECRETS.rawValue : 0))
        let list = secret_service_search_sync(service, nil, attributes, flags, cancellable, &error)
        if let error { throw SecretServiceKeyring.failure("keyring search failed", error) }
        var out: [UnsafeMutablePointer<SecretItem>] = []
        var node = list
        while let n = node {
            if let data = n.pointee.data {
                let secretItem = data.assumingMemoryBound(to: SecretItem.self)
                if secret_item_get_locked(secretItem) == 0 {
                    g_object_ref(data)
                    out.append(secretItem)
                }
            }
            node = n.pointee.next
        }
        g_list_free_full(list, g_object_unref)
        return out
    }

    private static func free(_ items: [UnsafeMutablePointer<SecretItem>]) {
        for i in items { g_object_unref(i) }
    }

    /// Runs `body` with the Secret Service and a cancellable that fires at the deadline.
    private func withService<T>(_ body: (UnsafeMutablePointer<SecretService>, UnsafeMutablePointer<GCancellable>) throws(AuthError) -> T)
        throws(AuthError) -> T {
        let pid = getpid()
        let used = SecretServiceKeyring.usedInPID.load(ordering: .acquiring)
        if used != 0 && used != pid {
            throw AuthError(.cache, "the Secret Service cannot be used in a process forked from one that used it (its D-Bus connection would hang); the token is kept in memory")
        }
        SecretServiceKeyring.usedInPID.store(pid, ordering: .releasing)
        let cancellable = g_cancellable_new()!
        defer { g_object_unref(cancellable) }
        let watchdog = Watchdog(cancellable: cancellable, seconds: timeout)
        defer { watchdog.finish() }
        var error: UnsafeMutablePointer<GError>?
        guard let service = secret_service_get_sync(SECRET_SERVICE_OPEN_SESSION, cancellable, &error) else {
            throw SecretServiceKeyring.failure("not reachable", error, timedOut: watchdog.fired)
        }
        defer { g_object_unref(service) }
        do throws(AuthError) {
            return try body(service, cancellable)
        } catch {
            if watchdog.fired {
                throw AuthError(.cache, "the Secret Service did not answer within \(CurlTransport.seconds(timeout)) (keyring_timeout_seconds)")
            }
            throw error
        }
    }

    private static func failure(_ what: String, _ error: UnsafeMutablePointer<GError>?, timedOut: Bool = false) -> AuthError {
        var detail = "unknown error"
        if let error {
            detail = String(cString: error.pointee.message)
            g_error_free(error)
        }
        if timedOut { detail = "no answer in time (\(detail))" }
        return AuthError(.cache, "keyring (Secret Service) \(what): \(detail)")
    }
}

/// Cancels a GCancellable when a deadline passes, unless finished first.
private final class Watchdog: @unchecked Sendable {
    private let lock = ConditionLock()
    private var done = false
    private(set) var fired = false

    init(cancellable: UnsafeMutablePointer<GCancellable>, seconds: Double) {
        g_object_ref(cancellable)
        let raw = UnsafeMutableRawPointer(cancellable)
        let started = BackgroundThread.start { [self] in
            let deadline = Clock.monotonic() + seconds
            lock.withLock {
                while !done && Clock.monotonic() < deadline { lock.wait(until: deadline) }
                if !done {
                    fired = true
                    g_cancellable_cancel(raw.assumingMemoryBound(to: GCancellable.self))
                }
            }
            g_object_unref(raw)
        }
        if !started { g_object_unref(cancellable) }
    }

    func finish() {
        lock.withLock {
            done = true
            lock.broadcast()
        }
    }
}
