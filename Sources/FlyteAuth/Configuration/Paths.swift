import Glibc

/// Directories on disk. Where they are is decided by `ClientConfiguration` from the
/// settings and the `Environment`; this only makes them.
public enum Paths {
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
