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

    /// The parser's run, with the root help in the usual order and usage errors that say
    /// what to do (a suggestion for a mistyped name).
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        TokenFastPath.runIfPossible(args)
        if args.isEmpty || args == ["--help"] || args == ["-h"] || args == ["help"] {
            out(RootHelp.text(width: Terminal.width ?? 80))
            Glibc.exit(0)
        }
        do {
            var command = try parseAsRoot(args)
            try command.run()
        } catch {
            if exitCode(for: error).rawValue == ExitCode.validationFailure.rawValue {
                UsageError.report(message(for: error), full: fullMessage(for: error), args: args)
                Glibc.exit(ExitCode.validationFailure.rawValue)
            }
            exit(withError: error)
        }
    }
}

/// `flyteauth --help`: usage, subcommands, options, then exit status, environment and
/// files, each wrapped with its continuation lines indented.
enum RootHelp {
    static func text(width: Int) -> String {
        let c = FlyteAuthCommand.configuration
        var parts = ["USAGE: flyteauth <subcommand> [options]", ""]
        parts.append(Terminal.wrap("", c.abstract, indent: 0, width: width))
        parts.append("")
        parts.append(Terminal.wrap("", "Reads the Flyte configuration you already have (FLYTECTL_CONFIG, ./flytekit.config, "
            + "~/.flyte/config, ~/.flyte/config.yaml and the FLYTE_* variables) and shares its token cache with flytekit, "
            + "flyte-sdk, flytectl and every program using libflyteauth. When something does not work, `flyteauth doctor` "
            + "checks each step and names the fix.", indent: 0, width: width))
        parts += ["", "SUBCOMMANDS:"]
        parts += c.subcommands.map { row($0._commandName, $0.configuration.abstract, 12, width) }
        parts += ["", "OPTIONS (every subcommand; `flyteauth <subcommand> --help` shows its own):"]
        parts += commonOptions(width: width)
        parts += ["", "As the token command of tools that do not link libflyteauth:",
                  "  admin.authType: ExternalCommand", "  admin.command: [flyteauth, token]"]
        parts += ["", "EXIT STATUS:"] + ExitStatus.table.map { row("\($0.code)", $0.meaning, 6, width) }
        parts += ["", "ENVIRONMENT:"] + ManualSections.environment.map { row($0.0, $0.1, 24, width) }
        parts += ["", "FILES:"] + ManualSections.files.map { row($0.0, $0.1, 24, width) }
        return parts.joined(separator: "\n")
    }

    /// "  name      meaning", the meaning wrapped under itself; a long name gets its own line.
    static func row(_ name: String, _ meaning: String, _ column: Int, _ width: Int) -> String {
        if name.count + 4 <= column {
            return Terminal.wrap("  " + name.padding(column - 2), meaning, indent: column, width: width)
        }
        return Terminal.wrap("  ", name, indent: 4, width: width) + "\n" + Terminal.wrap(String(repeating: " ", count: column), meaning, indent: column, width: width)
    }

    /// The common options as the parser lays them out (those of `logout`, without its --json).
    static func commonOptions(width: Int) -> [String] {
        let help = FlyteAuthCommand.helpMessage(for: Logout.self, columns: width)
        guard let start = help.firstRange(of: "OPTIONS:\n") else { return [] }
        var lines: [String] = []
        var skipping = false
        for line in help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).prefix(while: { !$0.isEmpty }) {
            if line.hasPrefix("  -") { skipping = line.hasPrefix("  --json") }
            if !skipping { lines.append(String(line)) }
        }
        return lines
    }
}

/// A usage error in the tool's own words, with a `fix:` line.
enum UsageError {
    static func report(_ message: String, full: String, args: [String]) {
        let width = Terminal.width(of: 2)
        // The suggestion goes on the fix line.
        let message = message.firstRange(of: ". Did you mean").map { String(message[..<$0.lowerBound]) } ?? message
        var text = Terminal.wrap("flyteauth: error: ", message.prefix(1).lowercased() + String(message.dropFirst()), indent: 2, width: width) + "\n"
        text += Terminal.wrap("  fix: ", fix(message, args: args), indent: 7, width: width) + "\n"
        if let usage = full.firstRange(of: "Usage: ") ?? full.firstRange(of: "USAGE: ") { text += full[usage.lowerBound...] }
        if !text.hasSuffix("\n") { text += "\n" }
        Logger.writeStderr(text)
    }

    static func fix(_ message: String, args: [String]) -> String {
        let subcommands = FlyteAuthCommand.configuration.subcommands
        let names = subcommands.map { $0._commandName }
        let sub = subcommands.first { args.first == $0._commandName }
        if let bad = quoted(message) {
            if bad.hasPrefix("-") {
                let help = FlyteAuthCommand.helpMessage(for: sub ?? Logout.self, columns: 200)
                let options = Set(help.split(whereSeparator: { " ,\n".contains($0) }).map(String.init).filter { $0.hasPrefix("--") })
                if let best = closest(bad, options) {
                    return "did you mean \(best)? (`flyteauth \(sub?._commandName ?? "<subcommand>") --help` lists the options)"
                }
            } else if sub == nil, let best = closest(bad, names) {
                return "did you mean `flyteauth \(best)`? (`flyteauth --help` lists the subcommands)"
            }
        }
        if sub == nil, let first = args.first, !first.hasPrefix("-"), !names.contains(first) {
            return "the subcommands are " + names.joined(separator: ", ") + "; `flyteauth --help` says what each does"
        }
        return "`flyteauth \(sub.map { $0._commandName + " " } ?? "")--help` lists what it accepts"
    }

    private static func quoted(_ message: String) -> String? {
        guard let a = message.firstIndex(of: "'"), let b = message[message.index(after: a)...].firstIndex(of: "'") else { return nil }
        return String(message[message.index(after: a)..<b])
    }

    /// The candidate nearest by edit distance, when near enough to be a typo.
    static func closest(_ word: String, _ candidates: some Sequence<String>) -> String? {
        let w = Array(word.lowercased().split(separator: "=").first ?? "")
        var best: (String, Int)?
        for c in candidates {
            let d = distance(w, Array(c.lowercased()))
            if d <= max(2, w.count / 3), best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// stdout, a line at a time (Swift 6 rejects the global `stdout` in print's default).
func out(_ text: String) { Logger.write(text + "\n", to: 1) }
