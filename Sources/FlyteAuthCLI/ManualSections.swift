/// The EXIT STATUS, ENVIRONMENT and FILES sections of --help and flyteauth(1)
/// (scripts/gen-man.py turns each "NAME" heading of the discussion into a section).
enum ManualSections {
    static let environment: [(String, String)] = [
        ("FLYTECTL_CONFIG", "the configuration file to read (as flytectl and flytekit do)"),
        ("FLYTE_PLATFORM_URL", "the Flyte endpoint; every FLYTE_<SECTION>_<OPTION> of flytekit's INI keys applies over the file"),
        ("FLYTE_CREDENTIALS_CLIENT_ID, FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION, FLYTE_CREDENTIALS_AUTH_MODE", "client credentials and auth type, as in flytekit"),
        ("FLYTE_API_KEY", "an API key (auth type ApiKey)"),
        ("FLYTE_ADMIN_DISABLEKEYRING", "true: do not use the keyring"),
        ("FLYTEAUTH_FILE_CACHE", "1: use the plaintext 0600 file cache where no keyring is available"),
        ("FLYTEAUTH_LOG", "off, error, warning (default), info or debug: what the library logs to stderr"),
        ("BROWSER", "the program that opens the login page (else xdg-open, when a display is set)"),
        ("XDG_CACHE_HOME, XDG_STATE_HOME, XDG_RUNTIME_DIR", "where discovery documents, the file cache and lock files live"),
    ]

    static let files: [(String, String)] = [
        ("./flytekit.config, ~/.flyte/config, ~/.flyte/config.yaml", "the configuration, searched in this order after FLYTECTL_CONFIG"),
        ("~/.cache/flyteauth/discovery-*.json", "the server's discovery documents (no secrets), kept an hour"),
        ("~/.local/state/flyteauth/tokens.json", "the opt-in file cache (mode 0600)"),
        ("$XDG_RUNTIME_DIR/flyteauth/*.lock", "lock files that serialise refreshes between processes"),
        ("PREFIX/share/bash-completion/completions/flyteauth, PREFIX/share/zsh/vendor-completions/_flyteauth, PREFIX/share/fish/vendor_completions.d/flyteauth.fish",
         "shell completions; PREFIX is /usr for the Debian package, /usr/local after make install (or generate one: `flyteauth --generate-completion-script bash|zsh|fish`)"),
    ]

    static func section(_ name: String, _ rows: [(String, String)]) -> String {
        name + "\n" + rows.map { "  \($0.0)  \($0.1)" }.joined(separator: "\n")
    }

    static var text: String {
        [section("EXIT STATUS", ExitStatus.table.map { ("\($0.code)", $0.meaning) }),
         section("ENVIRONMENT", environment), section("FILES", files)].joined(separator: "\n\n")
    }
}
