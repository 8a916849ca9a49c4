/// Which kernel keyring holds the first cache tier (`kernel_keyring`).
public enum KernelKeyringMode: String, Sendable, CaseIterable {
    /// The user's persistent keyring (persistent-keyring(7)), else the user keyring:
    /// shared by every process of the user, survives logouts, gone at reboot.
    case persistent
    /// The user keyring (`@u`): lives while the user has processes.
    case user
    /// The caller's session keyring (`@s`): this login session only (tests use it inside
    /// `keyctl session -` so they never touch the user's own keys).
    case session
    /// No kernel tier.
    case off

    /// The setting if given, else the environment's `FLYTEAUTH_KERNEL_KEYRING` (so test
    /// runners and containers can choose for every client), else persistent. An unknown
    /// value in the environment turns the tier off rather than touching a keyring the
    /// user did not mean.
    public static func effective(_ setting: KernelKeyringMode?, environment: String?) -> KernelKeyringMode {
        if let setting { return setting }
        guard let environment, !environment.isEmpty else { return .persistent }
        return KernelKeyringMode(rawValue: environment.lowercased()) ?? .off
    }

    public static var spellings: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
