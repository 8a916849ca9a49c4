import Glibc

/// FLYTEAUTH_LOG=off|error|warning|info|debug: what the default sink (stderr) shows,
/// read once per process, as GRPC_VERBOSITY and RUST_LOG are. A host's log callback
/// keeps its own level; this only governs the lines written when there is none.
public enum LogVerbosity {
    /// nil: off. Unset or empty: warning.
    public static let stderrMinimum: LogLevel? = {
        guard let raw = getenv("FLYTEAUTH_LOG").map({ String(cString: $0) }), !raw.isEmpty else { return .warning }
        switch raw.lowercased() {
        case "off", "none", "0": return nil
        case "error": return .error
        case "warning", "warn": return .warning
        case "info": return .info
        case "debug", "trace", "all": return .debug
        default:
            Logger.writeStderr(
                "flyteauth: warning: FLYTEAUTH_LOG=\"\(raw.prefix(40))\" is not one of off, error, warning, info, debug; using warning\n")
            return .warning
        }
    }()
}
