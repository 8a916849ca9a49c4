import Glibc

/// Where the library keeps files, following the XDG base directory spec.
public enum Paths {
    public static func environment(_ name: String) -> String? {
        guard let v = getenv(name) else { return nil }
        let s = String(cString: v)
        return s.isEmpty ? nil : s
    }

    public static var home: String? {
        if let h = environment("HOME") { return h }
        guard let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir else { return nil }
        return String(cString: dir)
    }

    /// $XDG_CACHE_HOME/flyteauth, else ~/.cache/flyteauth.
    public static func cacheDirectory(override: String?) -> String? {
        if let override, !override.isEmpty { return override }
        if let x = environment("XDG_CACHE_HOME") { return x + "/flyteauth" }
        return home.map { $0 + "/.cache/flyteauth" }
    }

    /// $XDG_STATE_HOME/flyteauth, else ~/.local/state/flyteauth.
    public static func stateDirectory() -> String? {
        if let x = environment("XDG_STATE_HOME") { return x + "/flyteauth" }
        return home.map { $0 + "/.local/state/flyteauth" }
    }

    /// Creates `path` and its parents with mode 0700 (existing ones are left as they are).
    public static func makeDirectories(_ path: String) -> Bool {
        var current = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST { return false }
        }
        return true
    }
}
