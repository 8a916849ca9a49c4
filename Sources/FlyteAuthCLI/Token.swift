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

    func validate() throws {
        if header && json { throw ValidationError("--header and --json cannot be combined") }
    }

    func run() throws {
        try Token.print(common.values, as: header ? .header : json ? .json : .accessToken)
    }

    enum Output { case accessToken, header, json }

    /// The token as `output` says, for the parsed command and for the fast path alike.
    static func print(_ common: CommonValues, as output: Output) throws(ExitCode) {
        do throws(AuthError) {
            let client = try common.client(login: .atTerminal)
            Interrupt.cancelOnSIGINT(client)  // a login at the terminal stops on Ctrl-C, exit status 7
            let s = try client.headers()
            switch output {
            case .header:
                for h in s.headers { out("\(h.key): \(h.value)") }
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
