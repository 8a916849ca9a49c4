import FlyteAuthCore
import Glibc

/// The one check for every file the library opens or trusts (configuration, secret
/// files, the CA file, the discovery cache, tokens.json, lock files): as ssh does, a
/// file counts only when no other user could have written it or could replace it.
///
/// - the file and every directory above it belong to this user or to root;
/// - none is writable by group or others, except a directory with the sticky bit (/tmp),
///   where others can add entries but not replace ours;
/// - the file is a regular file (never a FIFO or a device, which would hang or lie),
///   opened with O_NONBLOCK and checked with fstat on the descriptor actually read;
/// - files the library itself keeps are opened with O_NOFOLLOW: a symbolic link there
///   was planted.
public enum FileTrust {
    public enum Kind: Sendable {
        /// A file the user points to (configuration, client secret, CA file): links followed.
        case userFile
        /// A file the library keeps in its own directories: no links, mode fixed to 0600.
        case privateFile
    }

    /// Whether `uid` may own what this process trusts.
    static func trustedOwner(_ uid: uid_t) -> Bool { uid == geteuid() || uid == 0 }

    static func describe(_ st: stat) -> String {
        let mode = String(st.st_mode & 0o7777, radix: 8)
        return "owner uid \(st.st_uid), mode \(String(repeating: "0", count: max(0, 4 - mode.count)) + mode)"
    }

    /// Checks `directory` and every directory above it. `what` names the file it is for.
    public static func checkDirectory(_ directory: String, what: String) throws(AuthError) {
        guard let real = realpath(directory, nil) else {
            throw AuthError(.config, "\(what): cannot resolve \(directory): \(errnoText())")
        }
        let resolved = String(cString: real)
        free(real)
        var prefix = ""
        var chain = ["/"]
        for part in resolved.split(separator: "/") {
            prefix += "/" + part
            chain.append(prefix)
        }
        for dir in chain {
            var st = stat()
            guard stat(dir, &st) == 0 else { throw AuthError(.config, "\(what): cannot check \(dir): \(errnoText())") }
            guard st.st_mode & S_IFMT == S_IFDIR else { throw AuthError(.config, "\(what): \(dir) is not a directory") }
            let othersWrite = st.st_mode & 0o022 != 0
            let sticky = st.st_mode & S_ISVTX != 0
            guard trustedOwner(st.st_uid), !othersWrite || sticky else {
                throw AuthError(.config, "refusing \(what): the directory \(dir) (\(describe(st))) is "
                                + (trustedOwner(st.st_uid) ? "writable by other users" : "owned by another user")
                                + ", who could replace what is in it; use a directory only you can write")
            }
        }
    }

    /// Opens `path` for reading after the checks; nil when it does not exist. Returns
    /// the descriptor; `fixed` is called when a private file readable by others was
    /// set back to 0600.
    public static func openForReading(_ path: String, kind: Kind, what: String,
                                      fixed: ((String) -> Void)? = nil) throws(AuthError) -> Int32? {
        // A file in a directory that does not exist does not exist: the caller's "missing"
        // (a configuration error naming the path), not a cache failure.
        var st = stat()
        if stat(directoryOf(path), &st) != 0 && errno == ENOENT { return nil }
        try checkDirectory(directoryOf(path), what: "\(what) \(path)")
        let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (kind == .privateFile ? O_NOFOLLOW : 0)
        let fd = open(path, flags)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            if errno == ELOOP && kind == .privateFile {
                throw AuthError(.config, "refusing \(what) \(path): it is a symbolic link, which this library never creates there")
            }
            throw AuthError(.config, "cannot read \(what) \(path): \(errnoText())")
        }
        do throws(AuthError) { try checkOpened(fd, path: path, kind: kind, what: what, fixed: fixed) }
        catch { close(fd); throw error }
        return fd
    }

    /// The checks on an open descriptor: regular file, owner, mode.
    public static func checkOpened(_ fd: Int32, path: String, kind: Kind, what: String,
                                   fixed: ((String) -> Void)? = nil) throws(AuthError) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw AuthError(.config, "cannot check \(what) \(path): \(errnoText())") }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw AuthError(.config, "refusing \(what) \(path): it is not a regular file (a FIFO, device or directory)")
        }
        guard trustedOwner(st.st_uid) else {
            throw AuthError(.config, "refusing \(what) \(path): it belongs to another user (\(describe(st))); only files you or root own are used")
        }
        guard st.st_mode & 0o022 == 0 else {
            throw AuthError(.config, "refusing \(what) \(path): other users can write it (\(describe(st))); chmod go-w \(path)")
        }
        if kind == .privateFile && st.st_mode & 0o077 != 0 && st.st_uid == geteuid() {
            if fchmod(fd, 0o600) == 0 {
                fixed?("\(what) \(path) was readable by other users (\(describe(st))); its mode is now 0600. What it held may have been read: log out and in again if other users have accounts here")
            }
        }
    }

    static func directoryOf(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
