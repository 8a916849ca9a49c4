import FlyteAuthCore
import Glibc
import Synchronization

/// The token cache in the Secret Service: our canonical item, the other tools' layouts
/// read when it is missing, and mirrored after a login so one login serves every tool.
/// The rules (imports, mirrors, other tools' logouts) are in README "Sharing the login".
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

    /// The layout the last import came from: written back after a refresh even when
    /// `mirror_layouts` leaves it out, so a rotated refresh token reaches that tool too.
    private let importedFrom = Mutex<ForeignLayout?>(nil)

    /// Our item, checked against the copies it was mirrored into (`MirrorCheck`); else an
    /// import from another tool's layout (`ImportedToken`). README "Sharing the login".
    func load() throws(AuthError) -> Credentials? {
        let now = Clock.now()
        let canonical = try keyring.read([key.item])
        var spent: Credentials?
        if let text = canonical[key.item] {
            if let ours = CanonicalItem.decode(text) {
                let mirrored = MirrorCheck.checked(CanonicalItem.mirrored(text))
                var found: [ForeignLayout: Credentials?] = [:]
                if !mirrored.isEmpty {
                    // flytekit's and flyte-sdk's items share the service: one search for all.
                    let theirs = try keyring.read(service: key.endpoint.hostAndPort)
                    for layout in mirrored {
                        found[layout] = .some(layout.decode(theirs, endpoint: key.endpoint, now: now))
                    }
                }
                switch MirrorCheck.assess(ours, mirrored: mirrored, found: found) {
                case .intact:
                    break
                case .replaced(let layout, let theirs):
                    logger.log(.info, "\(layout.rawValue) stored a newer login in the keyring; using it")
                    return adopt(theirs, from: layout, now: now)
                case .gone(let layout):
                    logger.log(.info, "\(layout.rawValue)'s copy of the login is gone (a logout or a failed refresh there); revalidating ours")
                    return MirrorCheck.gone(layout).apply(to: ours)
                }
                // Without a refresh token an expired item cannot serve again: a login
                // another tool made since is worth importing.
                guard ours.refreshToken == nil, let expiresAt = ours.expiresAt, expiresAt <= now else { return ours }
                spent = ours
            } else {
                logger.warnOnce("canonical-garbage", "the keyring item \(key.item.label) is not readable; it will be replaced at the next login")
            }
        }
        for layout in readLayouts {
            let items = layout.items(for: key.endpoint)
            if let c = layout.decode(try keyring.read(items), endpoint: key.endpoint, now: now), c.accessToken != spent?.accessToken {
                logger.log(.info, "using the login \(layout.rawValue) stored in the keyring")
                return adopt(c, from: layout, now: now)
            }
        }
        return spent
    }

    private func adopt(_ imported: Credentials, from layout: ForeignLayout, now: Double) -> Credentials {
        importedFrom.withLock { $0 = layout }
        let c = ImportedToken.adopt(imported, now: now)
        if !c.unverified {
            // Nothing left to check: ours from now on, and every other tool's too. An
            // unverified import is saved by the refresh that checks it.
            do throws(AuthError) { try save(c) } catch {
                logger.warnOnce("import-record", "could not record the imported login: \(error.message)")
            }
        }
        return c
    }

    /// The mirrors first, our item last (recording which mirrors hold the same tokens), so
    /// a reader between the writes sees our older item beside newer copies, never the
    /// reverse (`MirrorCheck`).
    func save(_ credentials: Credentials) throws(AuthError) {
        var layouts = mirrorLayouts
        if let source = importedFrom.withLock({ $0 }), !layouts.contains(source) { layouts.append(source) }
        var written: [ForeignLayout] = []
        var failed: [(ForeignLayout, AuthError)] = []
        for layout in layouts {
            do throws(AuthError) {
                try write(credentials, as: layout)
                written.append(layout)
            } catch {
                failed.append((layout, error))
            }
        }
        // A keyring that refuses every write (locked, gone) fails here too: then that is
        // the one warning, not one per mirror as well.
        try keyring.write(key.item, secret: CanonicalItem.encode(credentials, key: key, tokenEndpoint: tokenEndpoint, mirrored: written),
                          application: "libflyteauth")
        for (layout, error) in failed {
            logger.warnOnce("mirror-\(layout.rawValue)", "could not mirror the login into \(layout.rawValue)'s keyring layout: \(error.message)")
        }
    }

    /// The IdP refused `refreshToken`: the login it carried is over. Our item goes; every
    /// other tool's layout read or mirrored that holds it is rewritten without it, so no
    /// tool sends it again.
    func forgetRefreshToken(_ refreshToken: String) throws(AuthError) {
        if let text = try keyring.read([key.item])[key.item], let c = CanonicalItem.decode(text), c.refreshToken == refreshToken {
            try keyring.delete(key.item)
        }
        for layout in ForeignLayout.allCases where readLayouts.contains(layout) || mirrorLayouts.contains(layout) {
            let items = layout.items(for: key.endpoint)
            guard var c = layout.decode(try keyring.read(items), endpoint: key.endpoint, now: Clock.now()),
                  c.refreshToken == refreshToken else { continue }
            c.refreshToken = nil
            try write(c, as: layout)
        }
    }

    /// A server rejected `accessToken`: our item keeps its refresh token (and the record of
    /// its mirrors) but is marked expired, so the next reader refreshes instead of serving
    /// it. The other tools' layouts keep no expiry to mark; they are rewritten by that
    /// refresh.
    func invalidate(accessToken: String) throws(AuthError) {
        guard let text = try keyring.read([key.item])[key.item], var c = CanonicalItem.decode(text),
              c.accessToken == accessToken else { return }
        guard c.refreshToken != nil else {
            try keyring.delete(key.item)
            return
        }
        let now = Clock.now()
        c.expiresAt = min(c.expiresAt ?? now, now) - 1
        try keyring.write(key.item, secret: CanonicalItem.encode(c, key: key, tokenEndpoint: tokenEndpoint,
                                                                 mirrored: CanonicalItem.mirrored(text)),
                          application: "libflyteauth")
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
