/// How the kernel tier stays a cache of the durable tiers (docs/coherence.md).
///
/// The kernel key is the fast path of every new process, but other tools never write it:
/// flytekit, flyte-sdk and flytectl rotate, replace and delete the login in the Secret
/// Service only. So the key carries the moment it was last found equal to the durable
/// tiers, and serves alone only for `bound` seconds after it; the next read after that
/// reads the Secret Service once (about 10 ms), rewrites the key with what it found and
/// restamps it. A token another tool replaced, or a login it ended, stops being served by
/// the kernel tier within `bound`, whatever the token's lifetime. A refresh never starts
/// from the kernel key (`TokenStore.loadAuthoritative`).
public enum CacheCoherence {
    /// Seconds a kernel key is served without asking the durable tiers.
    public static let bound: Double = 2

    /// Whether a copy confirmed at `confirmedAt` must be checked before it is served. A
    /// key without the stamp (an older version wrote it) or from the future (the clock
    /// went back) is checked.
    public static func mustConfirm(confirmedAt: Double?, now: Double) -> Bool {
        guard let confirmedAt else { return true }
        return !(now >= confirmedAt && now - confirmedAt < bound)
    }
}
