import FlyteAuthCore

/// Runs the configured command (flytekit's ExternalCommand / external_process). It prints
/// the token, or a JSON document with its expiry (`CommandOutput`): the token is cached in
/// the tiers like any other, and the command runs again only before it expires.
struct CommandFlow: Flow {
    let command: [String]

    func obtain(_ context: FlowContext) throws(AuthError) -> Credentials {
        let sentAt = context.clock.now()
        let output = try CommandFlow.runDocument(command, context: context, what: "token command")
        return Credentials(accessToken: output.token, expiresAt: output.expiresAt, obtainedAt: sentAt)
    }

    /// The cache key's client id: one slot per command line, never holding the command's
    /// arguments in the clear (they may name a secret).
    static func cacheClientID(_ argv: [String]) -> String {
        "command:" + SHA256.hex(Array(SHA256.hash(Array(argv.joined(separator: "\u{0}").utf8)).prefix(8)))
    }

    /// Runs `argv` and reads its output as a bare token or a JSON document.
    static func runDocument(_ argv: [String], context: FlowContext, what: String) throws(AuthError) -> CommandOutput {
        let name = SpawnProcessRunner.display(argv)
        let sentAt = context.clock.now()
        let result = try context.runner.run(argv, timeout: context.settings.commandTimeoutSeconds, cancel: context.cancel)
        let stderr = String(decoding: result.stderr.prefix(2000), as: UTF8.self).trimmingSpaces()
        guard result.signal == nil, result.exitStatus == 0 else {
            let how = result.signal.map { "was killed by signal \($0)" } ?? "exited with status \(result.exitStatus)"
            // stdout may be a token printed before a failure: never echo it.
            throw AuthError(.command, "Failed to refresh token with command `\(name)`: it \(how)"
                            + (stderr.isEmpty ? " and printed nothing on stderr" : "; stderr: \(stderr)"))
        }
        switch CommandOutput.parse(result.stdout, now: sentAt) {
        case .success(let output):
            try TokenSyntax.check(output.token, what: "token", source: "\(what) `\(name)`", kind: .command)
            return output
        case .failure(.empty):
            throw AuthError(.command, "Failed to refresh token with command `\(name)`: it printed no token"
                            + (stderr.isEmpty ? "" : "; stderr: \(stderr)"))
        case .failure(.invalid(let why)):
            throw AuthError(.command, "\(what) `\(name)`: \(why)")
        }
    }

    /// Just the token (the proxy command's header value).
    static func run(_ argv: [String], context: FlowContext, what: String) throws(AuthError) -> String {
        try runDocument(argv, context: context, what: what).token
    }
}
