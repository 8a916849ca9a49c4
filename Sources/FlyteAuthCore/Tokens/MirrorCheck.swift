/// What the other tools did to the copies of our login since we wrote them (README
/// "Sharing the login"). Our item records the layouts it was mirrored into; each of them
/// held our access token when it was written. Mirrors are written before our item, so a
/// reader never mistakes a write in progress for an older token.
public enum MirrorCheck: Sendable, Equatable {
    /// Every mirrored copy still holds our token.
    case intact
    /// A tool stored another login there after us (its own login or refresh): it is the
    /// newer one, and with rotating refresh tokens the only one still valid.
    case replaced(ForeignLayout, Credentials)
    /// A copy is gone: the tool logged out, or deleted it after a failed refresh (flytekit
    /// and flyte-sdk delete on transient errors too, flytekit #3443). Ours is suspect,
    /// not dead: it is revalidated (refreshed) before it is served; a refused refresh
    /// token ends the login, a transient failure keeps it.
    case gone(ForeignLayout)

    /// The layouts checked. flytectl's item is keyed by the endpoint as each tool's
    /// configuration writes it (`dns:///host`, `host`), so a reader configured another
    /// way would see it "gone" and refresh on every start: it is mirrored, not checked.
    public static func checked(_ mirrored: [ForeignLayout]) -> [ForeignLayout] {
        mirrored.filter { $0 != .flytectl }
    }

    /// `found`: each mirrored layout's credentials now (nil when its items are gone).
    public static func assess(_ ours: Credentials, mirrored: [ForeignLayout],
                              found: [ForeignLayout: Credentials?]) -> MirrorCheck {
        var missing: ForeignLayout?
        var newest: (ForeignLayout, Credentials)?
        for layout in checked(mirrored) {
            guard let entry = found[layout] else { continue }  // not read: nothing known
            if let theirs = entry {
                guard theirs.accessToken != ours.accessToken else { continue }
                // Two tools replaced it (each refreshed on its own): the later one is the
                // newest state, by the JWT's issue time, else its expiry.
                if let (_, other) = newest, !isNewer(theirs, than: other) { continue }
                newest = (layout, theirs)
            } else if missing == nil {
                missing = layout
            }
        }
        if let (layout, theirs) = newest { return .replaced(layout, theirs) }
        return missing.map(MirrorCheck.gone) ?? .intact
    }

    private static func isNewer(_ a: Credentials, than b: Credentials) -> Bool {
        if a.obtainedAt != b.obtainedAt { return a.obtainedAt > b.obtainedAt }
        return (a.expiresAt ?? 0) > (b.expiresAt ?? 0)
    }

    /// Our credentials as the cache serves them after this check.
    public func apply(to ours: Credentials) -> Credentials {
        switch self {
        case .intact: return ours
        case .replaced(_, let theirs): return theirs
        case .gone:
            var copy = ours
            copy.unverified = true
            return copy
        }
    }
}
