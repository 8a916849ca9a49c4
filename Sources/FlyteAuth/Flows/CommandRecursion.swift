import CSystem
import FlyteAuthCore
import Glibc

/// A command must never lead back to the library that runs it: `admin.command:
/// [flyteauth, token]` is what flytekit and flytectl are told to run, and flyteauth reads
/// the same file. Two guards: such a command is recognised and replaced by the flow the
/// user meant, and however a command comes back (a script, a wrapper), nesting is bounded
/// by a depth every child inherits in its environment.
public enum CommandRecursion {
    /// Set for every process the library starts: the number of library-run commands above it.
    public static let variable = "FLYTEAUTH_COMMAND_DEPTH"
    /// Deeper than this, a command is refused: no real setup nests commands this far.
    public static let maximumDepth = 3

    /// This process's depth (0 unless a libflyteauth command started it).
    static var currentDepth: Int {
        guard let raw = getenv(variable), let n = Int(String(cString: raw)), n > 0 else { return 0 }
        return n
    }

    /// Throws when starting `argv` would nest too deep.
    static func checkDepth(_ argv: [String]) throws(AuthError) {
        let depth = currentDepth
        guard depth < maximumDepth else {
            throw AuthError(.command, "refusing to run `\(SpawnProcessRunner.display(argv))`: \(depth) commands started by libflyteauth are already running inside each other (\(variable)=\(depth)), so the command leads back to itself; check the \"command\" and \"proxy_command\" settings")
        }
    }

    /// The environment for a child: ours with the depth one more.
    static func childEnvironment() -> [String] {
        var out: [String] = []
        var p = fa_environ()
        let prefix = variable + "="
        while let entry = p?.pointee {
            let text = String(cString: entry)
            if !text.hasPrefix(prefix) { out.append(text) }
            p = p?.advanced(by: 1)
        }
        out.append(prefix + String(currentDepth + 1))
        return out
    }

    /// Whether `command` runs flyteauth itself: a program named `flyteauth`, as written or
    /// where PATH and links lead, or this very executable when it is the tool under another
    /// name. (Not any host's executable: a Python host's command may be another Python program.)
    public static func runsFlyteauth(_ command: [String], environment: Environment) -> Bool {
        guard let program = command.first, !program.isEmpty else { return false }
        if basename(program) == "flyteauth" { return true }
        guard let resolved = locate(program, path: environment["PATH"]), let real = realPath(resolved) else { return false }
        if basename(real) == "flyteauth" { return true }
        // This very executable, when it is the flyteauth tool (under another name): a host
        // such as Python running a Python token script is not running itself.
        guard let me = realPath("/proc/self/exe"), basename(me).hasPrefix("flyteauth") else { return false }
        return me == real
    }

    private static func basename(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    private static func realPath(_ path: String) -> String? {
        guard let r = realpath(path, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    private static func locate(_ program: String, path: String?) -> String? {
        if program.contains("/") { return program }
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + program
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
