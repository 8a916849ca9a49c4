import Glibc

/// A witness of writes to the Secret Service that costs two `stat` calls and loads no
/// library: gnome-keyring saves every change to a stored collection (an item created,
/// replaced or deleted, by any program) by writing a new file and renaming it into its
/// directory before it answers, which moves that directory's modification time. The
/// kernel tier records the witness when it confirms a key (`CacheCoherence`): while the
/// witness has not moved, no tool has written the login since.
///
/// nil where the witness cannot be trusted: no gnome-keyring daemon running for this
/// user (its control socket), or no keyring directory of ours. Another Secret Service
/// (KWallet, KeePassXC) keeps its data elsewhere; the kernel tier then falls back to
/// its short bound.
enum KeyringChangeSignal {
    static func current() -> String? {
        guard let runtime = nonEmpty("XDG_RUNTIME_DIR"), isOwned(runtime + "/keyring/control", type: S_IFSOCK) else {
            return nil
        }
        let directory: String
        if let data = nonEmpty("XDG_DATA_HOME") {
            directory = data + "/keyrings"
        } else if let home = nonEmpty("HOME") {
            directory = home + "/.local/share/keyrings"
        } else {
            return nil
        }
        var st = stat()
        guard stat(directory, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == getuid() else { return nil }
        return "\(st.st_dev):\(st.st_ino):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
    }

    private static func nonEmpty(_ name: String) -> String? {
        guard let raw = getenv(name), raw.pointee != 0 else { return nil }
        return String(cString: raw)
    }

    private static func isOwned(_ path: String, type: mode_t) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == type && st.st_uid == getuid()
    }
}
