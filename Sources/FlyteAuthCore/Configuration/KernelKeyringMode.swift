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

    public static var spellings: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
