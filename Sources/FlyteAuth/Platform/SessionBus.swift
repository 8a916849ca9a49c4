import Glibc

/// Whether a D-Bus session bus may be there, without loading libdbus or libsecret: the
/// kernel tier's confirmation (`CacheCoherence`) is skipped where no Secret Service can
/// be reached at all (a cron job, an SSH session without a bus), so those processes
/// never load the keyring libraries on the warm path.
enum SessionBus {
    static func mayBeReachable() -> Bool {
        if let raw = getenv("DBUS_SESSION_BUS_ADDRESS") {
            let address = String(cString: raw)
            guard !address.isEmpty else { return false }
            // Only "unix:path=..." names something we can check; other transports may work.
            guard address.hasPrefix("unix:path=") else { return true }
            var path = address.dropFirst("unix:path=".count)
            if let comma = path.firstIndex(of: ",") { path = path[..<comma] }
            return isSocket(String(path))
        }
        guard let runtime = getenv("XDG_RUNTIME_DIR") else { return false }
        return isSocket(String(cString: runtime) + "/bus")
    }

    private static func isSocket(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK
    }
}
