import FlyteAuthCore
import Glibc

/// Small whole-file reads and atomic writes.
public enum FileIO {
    /// Reads a file of at most `limit` bytes, after `FileTrust`'s checks. `kind` nil: no
    /// checks (a path the host program handed over for this one call).
    public static func read(_ path: String, limit: Int = 1 << 20, kind: FileTrust.Kind? = .userFile, what: String = "file",
                            fixed: ((String) -> Void)? = nil) throws(AuthError) -> [UInt8] {
        let fd: Int32
        if let kind {
            guard let opened = try FileTrust.openForReading(path, kind: kind, what: what, fixed: fixed) else {
                throw AuthError(.config, "cannot read \(path): \(String(cString: strerror(ENOENT)))")
            }
            fd = opened
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw AuthError(.config, "cannot read \(path): \(errnoText())") }
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 { if errno == EINTR { continue }; throw AuthError(.config, "cannot read \(path): \(errnoText())") }
            if n == 0 { return out }
            out += buffer[0..<n]
            if out.count > limit { throw AuthError(.config, "\(path) is larger than \(limit) bytes") }
        }
    }

    /// Writes through a temporary file and rename(2), so readers see the old or the new
    /// content, never a torn one, even if this process is killed halfway.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws(AuthError) {
        try FileTrust.checkDirectory(FileTrust.directoryOf(path), what: "cache file \(path)")
        let temporary = path + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw AuthError(.cache, "cannot write \(path): \(errnoText())") }
        var ok = fchmod(fd, mode) == 0
        var rest = bytes[...]
        while ok && !rest.isEmpty {
            let n = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { ok = false; break }
            rest = rest.dropFirst(n)
        }
        ok = ok && fsync(fd) == 0
        let error = errnoText()
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw AuthError(.cache, "cannot write \(path): \(error)")
        }
    }

    /// Removes `<path>.tmp.<pid>.*` files whose writer died before its rename (SIGKILL):
    /// only regular files of this user, in a directory `FileTrust` accepts.
    public static func removeAbandonedTemporaries(of path: String) {
        guard let slash = path.lastIndex(of: "/") else { return }
        let dir = String(path[..<slash]), prefix = String(path[path.index(after: slash)...]) + ".tmp."
        guard (try? FileTrust.checkDirectory(dir, what: "cache file \(path)")) != nil else { return }
        guard let d = opendir(dir) else { return }
        defer { closedir(d) }
        let dfd = dirfd(d)
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "." }) else { continue }
            var st = stat()
            guard fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0, st.st_mode & S_IFMT == S_IFREG,
                  st.st_uid == geteuid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlinkat(dfd, name, 0) }
        }
    }
}
