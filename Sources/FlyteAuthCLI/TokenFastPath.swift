import ArgumentParser
import FlyteAuthCore
import Glibc

/// `flyteauth token` as other tools run it (admin.command: [flyteauth, token], with
/// --header, --json, --format, --refresh and the common options), answered without the argument parser. The
/// parser reflects over every subcommand's options and scans the Swift runtime's
/// conformance tables before it reads the first argument: three quarters of the work of a
/// whole `token` process. Only spellings whose meaning is plain take this path; anything
/// else (`--name=value`, short or repeated options, a value starting with "-", help,
/// an unknown word) goes to the parser, which then answers or reports it. Both paths run
/// `Token.print`, so the output and the exit status are the same.
enum TokenFastPath {
    /// The settings and the output `args` ask for, or nil when the parser should read them.
    static func parse(_ args: [String]) -> (common: CommonValues, output: Token.Output, refresh: Bool)? {
        guard args.first == "token" else { return nil }
        var common = CommonValues()
        var header = false, json = false, refresh = false
        var format: String?
        var seen: [String] = []  // (an array: a Set's first use costs more than these few compares)
        var i = 1
        while i < args.count {
            let name = args[i]
            i += 1
            // What repeating an option means is the parser's to say (--scope adds one).
            if name != "--scope" {
                if seen.contains(name) { return nil }
                seen.append(name)
            }
            switch name {
            case "--header": header = true
            case "--json": json = true
            case "--refresh": refresh = true
            case "--insecure": common.insecure = true
            case "--non-interactive": common.nonInteractive = true
            case "--file-cache": common.fileCache = true
            default:
                guard i < args.count, let first = args[i].first, first != "-" else { return nil }
                let value = args[i]
                i += 1
                switch name {
                case "--config": common.config = value
                case "--endpoint": common.endpoint = value
                case "--auth-type": common.authType = value
                case "--client-id": common.clientId = value
                case "--client-secret-location": common.clientSecretLocation = value
                case "--scope": common.scope.append(value)
                case "--audience": common.audience = value
                case "--settings": common.settings = value
                case "--format": format = value
                default: return nil
                }
            }
        }
        // Combinations and formats the parser rejects are its to report.
        if [header, json, format != nil].filter({ $0 }).count > 1 { return nil }
        if let format {
            guard CommandOutput.document(token: "", expiresAt: nil, format: format, now: 0) != nil else { return nil }
            return (common, .document(format), refresh)
        }
        return (common, header ? .header : json ? .json : .accessToken, refresh)
    }

    /// Answers `args` and exits when it can; returns when the parser should take them.
    static func runIfPossible(_ args: [String]) {
        guard let request = parse(args) else { return }
        do {
            try Token.print(request.common, as: request.output, refresh: request.refresh)
        } catch {
            // What the parser's exit(withError:) does with an ExitCode: nothing printed.
            Glibc.exit(error.rawValue)
        }
        Glibc.exit(0)
    }
}
