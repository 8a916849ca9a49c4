import FlyteAuthCore
import Glibc

/// Reads a key, certificate or external-token file: through `FileTrust` (the one check
/// of every file the library trusts), one descriptor, no swap between check and read.
enum KeyFile {
    struct Contents {
        let bytes: [UInt8]
        let mode: mode_t
        let owner: uid_t
        /// Readable by group or others (as ssh warns).
        var isExposed: Bool { mode & 0o044 != 0 }
    }

    /// `setting` names the key in messages ("private_key_file"). `FileTrust`'s checks
    /// (owner, type, no write by others, the directories above) come first.
    static func read(_ path: String, setting: String) throws(AuthError) -> Contents {
        guard let fd = try FileTrust.openForReading(path, kind: .userFile, what: setting) else {
            throw AuthError(.config, "\(setting): cannot read \(path): \(String(cString: strerror(ENOENT)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw AuthError(.config, "\(setting): cannot stat \(path): \(errnoText())") }
        guard st.st_size <= 1 << 20 else { throw AuthError(.config, "\(setting): \(path) is larger than 1 MiB") }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 { if errno == EINTR { continue }; throw AuthError(.config, "\(setting): cannot read \(path): \(errnoText())") }
            if n == 0 { break }
            out += buffer[0..<n]
            if out.count > 1 << 20 { throw AuthError(.config, "\(setting): \(path) is larger than 1 MiB") }
        }
        return Contents(bytes: out, mode: st.st_mode & 0o7777, owner: st.st_uid)
    }

    /// The permission bits of `path`, or nil when it cannot be stat'ed.
    static func mode(_ path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
    }
}
