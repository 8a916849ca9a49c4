import ArgumentParser
import FlyteAuth
import FlyteAuthCore
import Glibc

struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the access token, refreshing it first when needed.",
        discussion: """
            Made to be the token command of flytekit and flytectl (admin.command: [flyteauth, token]). \
            It logs in only when a person is at the terminal (stderr is a terminal); otherwise it fails \
            with exit status 5 and asks for `flyteauth login`.
            """)

    @OptionGroup var common: CommonOptions

    @Flag(help: "Print the whole header line(s): \"<key>: Bearer <token>\".")
    var header = false

    @Flag(help: "Print JSON: access_token, expires_at (epoch seconds), expiry (RFC 3339), header_key.")
    var json = false

    @Flag(help: "Get a new token from the identity provider now, even when the cached one is still valid (from the newest refresh token any tool holds).")
    var refresh = false

    @Option(help: ArgumentHelp("Print a credential document another tool reads: oauth (an OAuth 2.0 token response), exec-credential (kubectl's ExecCredential), credential-process (Version, Token, Expiration).", valueName: "format"))
    var format: String?

    func validate() throws {
        if [header, json, format != nil].filter({ $0 }).count > 1 {
            throw ValidationError("--header, --json and --format cannot be combined")
        }
        if let format, CommandOutput.document(token: "", expiresAt: nil, format: format, now: 0) == nil {
            throw ValidationError("--format must be oauth, exec-credential or credential-process")
        }
    }

    func run() throws {
        let output: Output = header ? .header : format.map(Output.document) ?? (json ? .json : .accessToken)
        try Token.print(common.values, as: output, refresh: refresh)
    }

    enum Output: Equatable { case accessToken, header, json, document(String) }

    /// The token as `output` says, for the parsed command and for the fast path alike.
    static func print(_ common: CommonValues, as output: Output, refresh: Bool) throws(ExitCode) {
        do throws(AuthError) {
            let client = try common.client(login: .atTerminal)
            Interrupt.cancelOnSIGINT(client)  // a login at the terminal stops on Ctrl-C, exit status 7
            let s = refresh ? try client.refresh(rejected: nil) : try client.headers()
            switch output {
            case .header:
                for h in s.headers { out("\(h.key): \(h.value)") }
            case .document(let format):
                out(CommandOutput.document(token: s.accessToken, expiresAt: s.expiresAt, format: format, now: Clock.now())!.serialized)
            case .json:
                var o: [String: JSONValue] = ["access_token": .string(s.accessToken), "header_key": .string(s.headers[0].key)]
                o["expires_at"] = s.expiresAt.map { .number($0.rounded(.down)) } ?? .null
                o["expiry"] = s.expiresAt.map { .string(RFC3339.format($0)) } ?? .null
                out(JSONValue.object(o).serialized)
            case .accessToken:
                out(s.accessToken)
            }
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}
