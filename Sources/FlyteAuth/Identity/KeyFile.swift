import FlyteAuthCore
import Glibc

/// Reads a key or certificate file the library trusts: a regular file, read through one
/// descriptor whose fstat is checked (no swap between check and read).
enum KeyFile {
    struct Contents {
        let bytes: [UInt8]
        let mode: mode_t
        let owner: uid_t
        /// Readable by group or others (as ssh warns).
        var isExposed: Bool { mode & 0o044 != 0 }
    }

    /// `setting` names the key in messages ("private_key_file").
    static func read(_ path: String, setting: String) throws(AuthError) -> Contents {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw AuthError(.config, "\(setting): cannot read \(path): \(errnoText())") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw AuthError(.config, "\(setting): cannot stat \(path): \(errnoText())") }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw AuthError(.config, "\(setting): \(path) is not a regular file")
        }
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
