import ArgumentParser
import FlyteAuth
import FlyteAuthCore

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check each step a call takes, in order, and say what to fix. Never prints a secret.",
        discussion: """
            Checks: the configuration in effect (each key with its file:line), the endpoint's DNS, TCP and TLS \
            (chain, expiry, host name, CA bundle), both Flyte discovery documents, the identity provider's \
            metadata and each endpoint the configured flow needs, the clock against the servers' Date headers, \
            each token cache tier, which tools' keyring layouts hold a login for the endpoint, and whether a \
            token is at hand and for how long. Never starts a login. Exits 0 only when a call would work; \
            otherwise with the status of the first failed check (see EXIT STATUS; clock skew is 1).
            """)

    @OptionGroup var common: CommonOptions

    @Flag(help: "Print JSON: {ok, exit_status, checks: [{name, status, summary, details, fix}]}.")
    var json = false

    func run() throws {
        let report = DoctorReport()
        DoctorRun(common: common, report: report).run()
        if json { out(report.json.serialized) } else { report.print() }
        let code = report.exitStatus
        if code != 0 { throw ExitCode(code) }
    }
}
