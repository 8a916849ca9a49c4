import FlyteAuthCore
import Glibc

/// The process environment: the library's one way to read it, so what a client reads
/// is listed in one place (ClientConfiguration, ConfigLoader) and tests can supply
/// their own. Values are read when asked.
public struct Environment: Sendable {
    private let lookup: @Sendable (String) -> String?

    /// The process's own environment (getenv).
    public static let process = Environment { name in getenv(name).map { String(cString: $0) } }

    /// A fixed environment (tests).
    public init(_ values: [String: String]) { lookup = { values[$0] } }

    private init(lookup: @escaping @Sendable (String) -> String?) { self.lookup = lookup }

    /// The value, nil when unset or empty.
    public subscript(_ name: String) -> String? {
        guard let v = lookup(name), !v.isEmpty else { return nil }
        return v
    }

    /// The value as set, "" included (flytekit tells an empty boolean from an unset one).
    public func raw(_ name: String) -> String? { lookup(name) }

    /// $HOME, else the password database's home directory.
    public var home: String? {
        if let h = self["HOME"] { return h }
        guard let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir else { return nil }
        return String(cString: dir)
    }

    /// `override`, else $XDG_CACHE_HOME/flyteauth, else ~/.cache/flyteauth.
    public func cacheDirectory(override: String?) -> String? {
        if let override, !override.isEmpty { return override }
        if let x = self["XDG_CACHE_HOME"] { return x + "/flyteauth" }
        return home.map { $0 + "/.cache/flyteauth" }
    }

    /// $XDG_STATE_HOME/flyteauth, else ~/.local/state/flyteauth.
    public var stateDirectory: String? {
        if let x = self["XDG_STATE_HOME"] { return x + "/flyteauth" }
        return home.map { $0 + "/.local/state/flyteauth" }
    }
}
