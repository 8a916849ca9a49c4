import FlyteAuthCore

/// What one call to Flyte carries, immutable. Handed out as is until `softDeadline`.
public struct HeaderSnapshot: Sendable {
    /// Lower-case keys; the authorization header first.
    public let headers: [(key: String, value: String)]
    public let accessToken: String
    public let expiresAt: Double?
    /// Until then, hand out without further checks.
    public let softDeadline: Double
    /// Until then, hand out while a refresh runs in the background.
    public let hardDeadline: Double
    /// Changes whenever the snapshot is replaced.
    public let generation: UInt64
}
