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
            flyteauth itself, reading the same file, logs in with Pkce instead (or with `auth_type` in the \
            file's flyteauth: section).

            When something does not work, `flyteauth doctor` checks each step and names the fix. Every \
            subcommand exits with the statuses listed under EXIT STATUS.

            \(ManualSections.text)
            """,
        version: LibraryVersion.string,
        subcommands: [Login.self, Token.self, Whoami.self, Status.self, Logout.self, Config.self, Doctor.self])
}

/// stdout, a line at a time (Swift 6 rejects the global `stdout` in print's default).
func out(_ text: String) { Logger.write(text + "\n", to: 1) }
