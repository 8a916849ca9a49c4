import ArgumentParser
import FlyteAuth
import FlyteAuthCore
import Glibc

@main
struct FlyteAuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flyteauth",
        abstract: "Log in to Flyte once, for every Flyte tool.",
        discussion: """
            Reads the Flyte configuration you already have (FLYTECTL_CONFIG, ./flytekit.config, ~/.flyte/config, \
            ~/.flyte/config.yaml and the FLYTE_* variables) and shares its token cache with flytekit, flyte-sdk, \
            flytectl and every program using libflyteauth.

            Use it as the token command of tools that do not link libflyteauth:
              admin.authType: ExternalCommand
              admin.command: [flyteauth, token]

            EXIT STATUS
              0 success; 1 other error; 2 configuration error; 3 network error or timeout; 4 the identity \
            provider or server refused; 5 login required (interactive login disabled); 6 the token command \
            failed; 7 cancelled; 64 usage error.
            """,
        version: LibraryVersion.string,
        subcommands: [Login.self, Token.self, Whoami.self, Status.self, Logout.self, Config.self])
}

/// Exit statuses, documented in the command's discussion.
enum Exit {
    static func code(for e: AuthError) -> Int32 {
        switch e.kind {
        case .config, .invalidArgument: return 2
        case .network, .timeout: return 3
        case .oauth, .protocol, .unsupported: return 4
        case .loginRequired: return 5
        case .command: return 6
        case .cancelled: return 7
        default: return 1
        }
    }

    /// Prints the error the way users read it, and exits with its status.
    static func fail(_ e: AuthError) -> ExitCode {
        var text = "flyteauth: error: \(e.message)\n"
        if let code = e.oauthError, !e.message.contains(code) { text += "  (OAuth error: \(code))\n" }
        Logger.writeStderr(text)
        return ExitCode(code(for: e))
    }
}

/// stdout, a line at a time (Swift 6 rejects the global `stdout` in print's default).
func out(_ text: String) { Logger.write(text + "\n", to: 1) }
