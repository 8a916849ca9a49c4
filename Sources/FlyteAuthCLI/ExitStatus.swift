import ArgumentParser
import FlyteAuth
import FlyteAuthCore

/// The one mapping from failures to exit statuses, for every subcommand; the man
/// page's EXIT STATUS section and --help are written from `table`.
enum ExitStatus {
    static let table: [(code: Int32, meaning: String)] = [
        (0, "success"),
        (1, "any other error (the token cache, an internal error; for doctor, clock skew)"),
        (2, "configuration error: a file, key, value or secret file is wrong or missing"),
        (3, "network error or timeout: DNS, connection refused, TLS, no answer in time"),
        (4, "the identity provider or server refused, or is not a Flyte server with authentication"),
        (5, "login required: no usable token and no interactive login (run flyteauth login)"),
        (6, "the external token command failed"),
        (7, "cancelled (Ctrl-C)"),
        (8, "a system library this needs is not installed (the message names the package, e.g. libcurl4)"),
        (64, "usage error (unknown option, bad combination)"),
    ]

    static let cancelledCode: Int32 = 7
    static let missingLibraryCode: Int32 = 8


    static func code(for e: AuthError) -> Int32 {
        if e.missingPackage != nil { return missingLibraryCode }
        switch e.kind {
        case .config, .invalidArgument: return 2
        case .network, .timeout: return 3
        case .oauth, .protocol, .unsupported: return 4
        case .loginRequired: return 5
        case .command: return 6
        case .cancelled: return cancelledCode
        case .cache, .forked, .internal: return 1
        }
    }

    /// Prints the error the way users read it, with what to do next, and returns its status.
    static func fail(_ e: AuthError) -> ExitCode {
        let width = Terminal.width(of: 2)
        var text = Terminal.wrap("flyteauth: error: ", e.message, indent: 2, width: width) + "\n"
        if let code = e.oauthError, !e.message.contains(code) { text += "  (OAuth error: \(code))\n" }
        if let fix = fix(for: e) { text += Terminal.wrap("  fix: ", fix, indent: 7, width: width) + "\n" }
        Logger.writeStderr(text)
        return ExitCode(code(for: e))
    }

    /// What to do about a failure whose message does not say it already.
    static func fix(for e: AuthError) -> String? {
        let m = e.message.lowercased()
        if let package = e.missingPackage {
            return "install the package \(package) (Debian, Ubuntu: sudo apt-get install \(package)); `flyteauth doctor` lists the libraries each path needs"
        }
        switch e.kind {
        case .network, .timeout:
            if m.contains("resolve host") {
                return "the endpoint's host name does not resolve: check admin.endpoint (or --endpoint, FLYTE_PLATFORM_URL) and your DNS; `flyteauth doctor` checks each step"
            }
            if m.contains("connect") || m.contains("refused") {
                return "nothing answers at that address: check the host and port of admin.endpoint, that Flyte runs there, and any proxy (admin.httpProxyURL); `flyteauth doctor` checks each step"
            }
            if m.contains("ssl") || m.contains("certificate") || m.contains("tls") {
                return "the TLS certificate is not trusted: set admin.caCertFilePath to the CA that signed it (admin.insecureSkipVerify only for testing); `flyteauth doctor` shows the chain"
            }
            return "check admin.endpoint, your network and proxy; `flyteauth doctor` checks each step"
        case .protocol where m.contains("is this a flyte endpoint"):
            return "point admin.endpoint (or --endpoint) at the Flyte admin endpoint, the address flytectl uses; `flyteauth doctor` shows what it serves"
        case .config where m.contains("client_secret_location"):
            return "create the file admin.clientSecretLocation (or --client-secret-location) names, holding the client secret, or correct the path"
        case .config where m.contains("setting \""):
            return "correct that key at the file and line named (`flyteauth config` shows every key and where it came from)"
        case .config where e.message.contains("YAML:") || m.contains("malformed section") || m.contains("expected \"key = value\""):
            return "correct the syntax at the file and line named (`flyteauth doctor` shows the keys in effect)"
        case .config where m.contains("no flyte endpoint"):
            return "run `flyteauth login --endpoint flyte.example.com` (your Flyte address), or put it in ~/.flyte/config.yaml under admin: endpoint: dns:///flyte.example.com"
        case .oauth where e.oauthError == "access_denied":
            return "the login was declined at the sign-in page: run `flyteauth login` again and approve it, or ask your administrator for access"
        case .oauth where e.oauthError == "invalid_client":
            return "check admin.clientId and the client secret with your identity provider's administrator"
        case .command:
            return "run the command in admin.command (or proxyCommand) yourself to see why it fails, or correct it"
        case .cancelled:
            return nil
        case .loginRequired:
            return "run `flyteauth login` at a terminal"
        default:
            return "`flyteauth doctor` checks each step and names what to change"
        }
    }
}

/// The message when nothing names a Flyte endpoint.
let noEndpointMessage = "no Flyte endpoint is configured: pass --endpoint, set admin.endpoint in ~/.flyte/config.yaml (or the file FLYTECTL_CONFIG names), or set FLYTE_PLATFORM_URL"
