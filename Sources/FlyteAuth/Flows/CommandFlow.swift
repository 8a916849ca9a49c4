import FlyteAuthCore

/// Runs the configured command; its trimmed stdout is the token (flytekit's
/// ExternalCommand / external_process).
struct CommandFlow: Flow {
    let command: [String]
    var cached: Bool { false }

    func obtain(_ context: FlowContext) throws(AuthError) -> Credentials {
        let token = try CommandFlow.run(command, context: context, what: "token command")
        return Credentials(accessToken: token, obtainedAt: context.clock.now())
    }

    static func run(_ argv: [String], context: FlowContext, what: String) throws(AuthError) -> String {
        let name = SpawnProcessRunner.display(argv)
        let result = try context.runner.run(argv, timeout: context.settings.commandTimeoutSeconds, cancel: context.cancel)
        let stderr = String(decoding: result.stderr.prefix(2000), as: UTF8.self).trimmingSpaces()
        guard result.signal == nil, result.exitStatus == 0 else {
            let how = result.signal.map { "was killed by signal \($0)" } ?? "exited with status \(result.exitStatus)"
            // stdout may be a token printed before a failure: never echo it.
            throw AuthError(.command, "Failed to refresh token with command `\(name)`: it \(how)"
                            + (stderr.isEmpty ? " and printed nothing on stderr" : "; stderr: \(stderr)"))
        }
        guard let text = String(validating: result.stdout, as: UTF8.self) else {
            throw AuthError(.command, "Failed to refresh token with command `\(name)`: its output is not UTF-8 text")
        }
        let token = text.trimmingSpaces()
        guard !token.isEmpty else {
            throw AuthError(.command, "Failed to refresh token with command `\(name)`: it printed no token"
                            + (stderr.isEmpty ? "" : "; stderr: \(stderr)"))
        }
        guard HTTPHeaderName.isSafeValue(token), !token.contains(" ") else {
            throw AuthError(.command, "\(what) `\(name)` printed more than one line or word; expected just the token")
        }
        try TokenSyntax.check(token, what: "token", source: "\(what) `\(name)`", kind: .command)
        return token
    }
}
