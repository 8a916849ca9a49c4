extension Int64 {
    /// Whole seconds from a Double that came from outside (a server's `expires_in`, a
    /// JWT's `exp`, a cache file): `Int64(_:)` traps on NaN and out-of-range values,
    /// and a trap here would take the host process down. Rounds down; NaN is 0.
    public init(saturatingSeconds value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.2e18 {
            self = .max
        } else if value <= -9.2e18 {
            self = .min
        } else {
            self = Int64(value.rounded(.down))
        }
    }
}

extension Int {
    /// As `Int64(saturatingSeconds:)`, for counts shown to a person (minutes left).
    public init(saturatingSeconds value: Double) { self = Int(Int64(saturatingSeconds: value)) }
}
