import CSecret
import FlyteAuthCore
import Glibc

/// What `flyteauth doctor` and an offline `flyteauth logout` need from the token cache,
/// without a client (no discovery, no network). Never returns a secret.
public enum CacheInspection {
    /// One place a login can be stored, and what it holds.
    public struct StoredLogin: Sendable {
        /// "flyteauth" (our item) or a foreign layout's name ("flytekit", ...).
        public var layout: String
        public var expiresAt: Double?
        public var hasRefreshToken: Bool
    }

    /// One cache tier as doctor shows it.
    public struct Tier: Sendable {
        public var name: String
        public var available: Bool
        public var detail: String
        public init(name: String, available: Bool, detail: String) {
            self.name = name
            self.available = available
            self.detail = detail
        }
    }

    /// Whether the Secret Service answers and its default collection is unlocked.
    public static func secretService(timeout: Double) -> Tier {
        let name = "Secret Service"
        do throws(AuthError) {
            // A search for an item nobody writes: connects and searches, bounded by `timeout`.
            _ = try SecretServiceKeyring(timeout: timeout).read([KeyringItem(service: "flyteauth:doctor", username: "probe")])
        } catch {
            return Tier(
                name: name, available: false,
                detail: error.message
                    + " (start a keyring daemon such as gnome-keyring in the session, or opt in to the file cache: FLYTEAUTH_FILE_CACHE=1)")
        }
        // The service answered the search: asking for the default collection is one more call.
        var error: UnsafeMutablePointer<GError>?
        guard let service = fa_secret_service_get_sync(0, nil, &error) else {
            if let error { fa_g_error_free(error) }
            return Tier(name: name, available: false, detail: "reachable, but the service object is not available")
        }
        defer { fa_g_object_unref(UnsafeMutableRawPointer(service)) }
        guard let collection = fa_secret_collection_for_default_alias_sync(service, nil, &error) else {
            if let error { fa_g_error_free(error) }
            return Tier(
                name: name, available: false,
                detail: "reachable, but there is no default collection (create a \"login\" keyring, e.g. with seahorse)")
        }
        defer { fa_g_object_unref(UnsafeMutableRawPointer(collection)) }
        if fa_secret_collection_get_locked(collection) != 0 {
            return Tier(
                name: name, available: false,
                detail:
                    "reachable, but the default collection is locked (unlock it: log in to the desktop session, open seahorse, or `gnome-keyring-daemon --unlock` with the password on stdin)"
            )
        }
        return Tier(name: name, available: true, detail: "reachable, default collection unlocked")
    }

    /// The file cache: where it would be, whether it is in use.
    public static func fileCache(settings: Settings) -> Tier {
        let environment = Environment.process
        let enabled = settings.fileCache || EnvironmentValue.isTrue(environment["FLYTEAUTH_FILE_CACHE"])
        let path = settings.fileCachePath.nonEmpty ?? environment.stateDirectory.map { $0 + "/tokens.json" }
        guard let path else { return Tier(name: "file cache", available: false, detail: "no home directory for it") }
        guard enabled else {
            return Tier(
                name: "file cache", available: false, detail: "off (opt in with FLYTEAUTH_FILE_CACHE=1 or \"file_cache\": true; would be \(path))")
        }
        var st = stat()
        if stat(path, &st) != 0 { return Tier(name: "file cache", available: true, detail: "on, \(path) (not written yet)") }
        let mode = st.st_mode & 0o777
        if mode & 0o077 != 0 {
            return Tier(
                name: "file cache", available: false, detail: "\(path) has mode \(String(mode, radix: 8)): others can read it (chmod 600 \(path))")
        }
        return Tier(name: "file cache", available: true, detail: "on, \(path) (mode 600)")
    }

    /// The logins the keyring holds for `endpoint`: our item for `clientID`, and each
    /// other tool's layout.
    public static func keyringLogins(endpoint: FlyteEndpoint, clientID: String?, timeout: Double) throws(AuthError) -> [StoredLogin] {
        let keyring = SecretServiceKeyring(timeout: timeout)
        var found: [StoredLogin] = []
        if let clientID {
            let key = CacheKey(endpoint: endpoint, clientID: clientID)
            if let text = try keyring.read([key.item])[key.item], let c = CanonicalItem.decode(text) {
                found.append(StoredLogin(layout: "flyteauth", expiresAt: c.expiresAt, hasRefreshToken: c.refreshToken != nil))
            }
        }
        for layout in ForeignLayout.allCases {
            if let c = layout.decode(try keyring.read(layout.items(for: endpoint)), endpoint: endpoint, now: Clock.now()) {
                found.append(StoredLogin(layout: layout.rawValue, expiresAt: c.expiresAt, hasRefreshToken: c.refreshToken != nil))
            }
        }
        return found
    }

    /// The login in the file cache for (endpoint, client id), if the file cache is on.
    public static func fileLogin(settings: Settings, endpoint: FlyteEndpoint, clientID: String) throws(AuthError) -> StoredLogin? {
        guard let path = settings.fileCachePath.nonEmpty ?? Environment.process.stateDirectory.map({ $0 + "/tokens.json" }) else { return nil }
        let store = FileStore(
            path: path, key: CacheKey(endpoint: endpoint, clientID: clientID), tokenEndpoint: nil,
            lockTimeout: settings.lockTimeoutSeconds)
        return try store.load().map { StoredLogin(layout: "file", expiresAt: $0.expiresAt, hasRefreshToken: $0.refreshToken != nil) }
    }

    /// Forgets the login for (endpoint, client id) in every store the settings use,
    /// every tool's layout included, without asking the server anything. Returns the
    /// stores' names.
    public static func removeLogin(settings: Settings, endpoint: FlyteEndpoint, clientID: String) throws(AuthError) -> String {
        let configuration = try ClientConfiguration.resolve(settings, environment: .process)
        let storage = EngineFactory.defaultStorage(CacheKey(endpoint: endpoint, clientID: clientID), configuration, nil, Logger())
        guard let store = storage.store else { return "no cache" }
        try store.remove()
        return store.name
    }
}
