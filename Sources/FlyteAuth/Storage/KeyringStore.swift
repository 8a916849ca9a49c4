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
            do throws(AuthError) { try write(credentials, as: layout) } catch {
                logger.warnOnce("mirror-\(layout.rawValue)", "could not mirror the login into \(layout.rawValue)'s keyring layout: \(error.message)")
            }
        }
    }

    /// Rewrites the canonical item and every layout read or mirrored that holds
    /// `refreshToken`, without it.
    func forgetRefreshToken(_ refreshToken: String) throws(AuthError) {
        if let text = try keyring.read([key.item])[key.item], var c = CanonicalItem.decode(text), c.refreshToken == refreshToken {
            c.refreshToken = nil
            try keyring.write(key.item, secret: CanonicalItem.encode(c, key: key, tokenEndpoint: tokenEndpoint),
                              application: "libflyteauth")
        }
        for layout in ForeignLayout.allCases where readLayouts.contains(layout) || mirrorLayouts.contains(layout) {
            let items = layout.items(for: key.endpoint)
            guard var c = layout.decode(try keyring.read(items), endpoint: key.endpoint, now: Clock.now()),
                  c.refreshToken == refreshToken else { continue }
            c.refreshToken = nil
            try write(c, as: layout)
        }
    }

    private func write(_ credentials: Credentials, as layout: ForeignLayout) throws(AuthError) {
        for (item, secret) in layout.encode(credentials, endpoint: key.endpoint, now: Clock.now()) {
            if let secret {
                // Python keyring's own value, so its later writes replace this item.
                try keyring.write(item, secret: secret,
                                  application: layout == .flytectl ? "libflyteauth" : "Python keyring library")
            } else {
                try keyring.delete(item)
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
