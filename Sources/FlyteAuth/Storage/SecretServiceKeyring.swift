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
            let matches = try search(
                service, KeyringItem(service: name, username: ""), cancellable, loadSecrets: true,
                anyUsername: true)
            defer { SecretServiceKeyring.free(matches) }
            var found: [KeyringItem: String] = [:]
            for m in matches {
                guard let raw = fa_secret_item_copy_username(m) else { continue }
                defer { Glibc.free(raw) }
                let item = KeyringItem(service: name, username: String(cString: raw))
                if found[item] == nil, let text = SecretServiceKeyring.secretText(m) { found[item] = text }
            }
            return found
        }
    }

    private static func secretText(_ m: OpaquePointer) -> String? {
        guard let value = fa_secret_item_get_secret(m) else { return nil }
        defer { fa_secret_value_unref(value) }
        var length = 0
        guard let bytes = fa_secret_value_get(value, &length) else { return nil }
        let buffer = UnsafeRawBufferPointer(start: bytes, count: length)
        return String(validating: buffer.bindMemory(to: UInt8.self), as: UTF8.self)
    }

    /// Leaves exactly one item for (service, username) holding `secret`: the first
    /// match is updated in place and extras deleted; else one is created.
    func write(_ item: KeyringItem, secret: String, application: String) throws(AuthError) {
        try withService { (service, cancellable) throws(AuthError) in
            let matches = try search(service, item, cancellable, loadSecrets: false)
            defer { SecretServiceKeyring.free(matches) }
            guard let value = fa_secret_value_new_text(secret) else { throw AuthError(.internal, "out of memory") }
            defer { fa_secret_value_unref(value) }
            var error: UnsafeMutablePointer<GError>?
            if let first = matches.first {
                guard fa_secret_item_set_secret_sync(first, value, cancellable, &error) != 0 else {
                    throw SecretServiceKeyring.failure("cannot update \(item.label)", error)
                }
                for extra in matches.dropFirst() { _ = fa_secret_item_delete_sync(extra, cancellable, nil) }
                return
            }
            guard let collection = fa_secret_collection_for_default_alias_sync(service, cancellable, &error) else {
                throw SecretServiceKeyring.failure("no default keyring collection", error)
            }
            defer { fa_g_object_unref(UnsafeMutableRawPointer(collection)) }
            if fa_secret_collection_get_locked(collection) != 0 {
                throw AuthError(.cache, "the default keyring collection is locked (unlock it, or opt in to the file cache)")
            }
            guard
                let created = fa_secret_item_create_sync(
                    collection, item.service, item.username, application, item.label,
                    value, cancellable, &error)
            else {
                throw SecretServiceKeyring.failure("cannot create \(item.label)", error)
            }
            fa_g_object_unref(UnsafeMutableRawPointer(created))
        }
    }

    /// Removes every item matching (service, username).
    func delete(_ item: KeyringItem) throws(AuthError) {
        try withService { (service, cancellable) throws(AuthError) in
            let matches = try search(service, item, cancellable, loadSecrets: false)
            defer { SecretServiceKeyring.free(matches) }
            for m in matches {
                var error: UnsafeMutablePointer<GError>?
                guard fa_secret_item_delete_sync(m, cancellable, &error) != 0 else {
                    throw SecretServiceKeyring.failure("cannot delete \(item.label)", error)
                }
            }
        }
    }

    // MARK: - libsecret plumbing

    private func search(
        _ service: OpaquePointer, _ item: KeyringItem,
        _ cancellable: OpaquePointer, loadSecrets: Bool, anyUsername: Bool = false
    ) throws(AuthError)
        -> [OpaquePointer]
    {
        let (unlocked, locked) = try searchAll(service, item, cancellable, loadSecrets: loadSecrets, anyUsername: anyUsername)
        if unlocked.isEmpty && locked > 0 && loadSecrets {
            // Not "no login": a login that cannot be read now. A refresh must not take it
            // for a logout (docs/coherence.md), so this is an error, not an empty answer.
            throw AuthError(.cache, "keyring (Secret Service): \(item.label) is locked (the keyring collection is locked)")
        }
        return unlocked
    }

    private func searchAll(
        _ service: OpaquePointer, _ item: KeyringItem, _ cancellable: OpaquePointer,
        loadSecrets: Bool, anyUsername: Bool
    ) throws(AuthError) -> ([OpaquePointer], Int) {
        var error: UnsafeMutablePointer<GError>?
        // Unlocked items only: never trigger an unlock prompt.
        let flags = FA_SECRET_SEARCH_ALL | (loadSecrets ? FA_SECRET_SEARCH_LOAD_SECRETS : 0)
        let list =
            anyUsername
            ? fa_secret_service_search(service, item.service, nil, flags, cancellable, &error)
            : fa_secret_service_search(service, item.service, item.username, flags, cancellable, &error)
        if let error { throw SecretServiceKeyring.failure("keyring search failed", error) }
        var out: [OpaquePointer] = []
        var locked = 0
        var node = list
        while let n = node {
            if let data = n.pointee.data {
                let secretItem = OpaquePointer(data)
                if fa_secret_item_get_locked(secretItem) == 0 {
                    _ = fa_g_object_ref(data)
                    out.append(secretItem)
                } else {
                    locked += 1
                }
            }
            node = n.pointee.next
        }
        fa_secret_list_free(list)
        return (out, locked)
    }

    private static func free(_ items: [OpaquePointer]) {
        for i in items { fa_g_object_unref(UnsafeMutableRawPointer(i)) }
    }

    /// Runs `body` with the Secret Service and a cancellable that fires at the deadline.
    private func withService<T>(_ body: (OpaquePointer, OpaquePointer) throws(AuthError) -> T)
        throws(AuthError) -> T
    {
        let pid = getpid()
        let used = SecretServiceKeyring.usedInPID.load(ordering: .acquiring)
        if used != 0 && used != pid {
            throw AuthError(
                .cache,
                "the Secret Service cannot be used in a process forked from one that used it (its D-Bus connection would hang); the token is kept in memory"
            )
        }
        guard fa_secret_load() == 0 else {
            throw AuthError(.cache, "keyring (Secret Service): " + String(cString: fa_secret_load_error()))
        }
        SecretServiceKeyring.usedInPID.store(pid, ordering: .releasing)
        do throws(AuthError) {
            return try withSharedService(body)
        } catch  where error.kind == .cache && !error.message.contains("did not answer") && !error.message.contains("no answer in time") {
            // The daemon may have been restarted since the process's shared connection
            // (and its encryption session) was opened: one more try on a new one.
            fa_secret_service_disconnect()
            return try withSharedService(body)
        }
    }

    private func withSharedService<T>(_ body: (OpaquePointer, OpaquePointer) throws(AuthError) -> T)
        throws(AuthError) -> T
    {
        guard let cancellable = fa_g_cancellable_new() else { throw AuthError(.internal, "out of memory") }
        defer { fa_g_object_unref(UnsafeMutableRawPointer(cancellable)) }
        let watchdog = Watchdog(cancellable: cancellable, seconds: timeout)
        defer { watchdog.finish() }
        var error: UnsafeMutablePointer<GError>?
        guard let service = fa_secret_service_get_sync(FA_SECRET_SERVICE_OPEN_SESSION, cancellable, &error) else {
            throw SecretServiceKeyring.failure("not reachable", error, timedOut: watchdog.fired)
        }
        defer { fa_g_object_unref(UnsafeMutableRawPointer(service)) }
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
            fa_g_error_free(error)
        }
        if timedOut { detail = "no answer in time (\(detail))" }
        return AuthError(.cache, "keyring (Secret Service) \(what): \(detail)")
    }
}

/// Cancels a GCancellable when a deadline passes, unless finished first.
private final class Watchdog: Sendable {
    private struct State: Sendable {
        var done = false
        var fired = false
    }
    private let state = Guarded(State())

    /// Whether the deadline passed and the call was cancelled.
    var fired: Bool { state.withLock { $0.fired } }

    init(cancellable: OpaquePointer, seconds: Double) {
        _ = fa_g_object_ref(UnsafeMutableRawPointer(cancellable))
        let raw = UnsafeMutableRawPointer(cancellable)
        let started = BackgroundThread.start { [self] in
            let deadline = Clock.monotonic() + seconds
            _ = state.wait(until: deadline) { $0.done ? true : nil }
            state.withLock { s in
                if !s.done {
                    s.fired = true
                    fa_g_cancellable_cancel(OpaquePointer(raw))
                }
            }
            fa_g_object_unref(raw)
        }
        if !started { fa_g_object_unref(UnsafeMutableRawPointer(cancellable)) }
    }

    func finish() {
        state.update { $0.done = true }
    }
}
