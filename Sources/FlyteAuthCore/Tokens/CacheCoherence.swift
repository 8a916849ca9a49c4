/// How the kernel tier stays a cache of the durable tiers (docs/coherence.md).
///
/// The kernel key is the fast path of every new process, but other tools never write it:
/// flytekit, flyte-sdk and flytectl rotate, replace and delete the login in the Secret
/// Service only. So the key carries when it was last found equal to the durable tiers and
/// the Secret Service's change witness at that moment (`KeyringChangeSignal`: two `stat`
/// calls). A read serves the key alone while the witness has not moved, for at most
/// `signalledBound`; where there is no witness (another Secret Service, no daemon), for
/// `bound`. Past that, or as soon as the witness moved, the next read asks the Secret
/// Service once (about 10 ms), rewrites the key with what it found and restamps it. A
/// refresh never starts from the kernel key (`TokenStore.loadAuthoritative`).
public enum CacheCoherence {
    /// Seconds a kernel key is served without asking the durable tiers, where no change
    /// witness exists.
    public static let bound: Double = 2

    /// With a witness that has not moved: the longest a key serves before it is checked
    /// anyway (a write the witness cannot see, such as one to an in-memory collection).
    public static let signalledBound: Double = 300

    /// Whether a copy confirmed at `confirmedAt`, when the witness read
    /// `signalAtConfirmation`, must be checked before it is served now that it reads
    /// `signalNow`. A key without the stamp (an older version wrote it) or from the future
    /// (the clock went back) is checked.
    public static func mustConfirm(
        confirmedAt: Double?, signalAtConfirmation: String?, signalNow: String?, now: Double
    ) -> Bool {
        guard let confirmedAt, now >= confirmedAt else { return true }
        let age = now - confirmedAt
        if let signalNow { return signalAtConfirmation != signalNow || age >= signalledBound }
        return age >= bound
    }
}
