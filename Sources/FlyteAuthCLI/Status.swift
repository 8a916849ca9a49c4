import ArgumentParser
import FlyteAuth
import FlyteAuthCore
import Glibc

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the endpoint, flow, where the token came from, its expiry and identity. Never a secret.")

    @OptionGroup var common: CommonOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        do throws(AuthError) {
            var resolved = try common.resolve()
            resolved.settings.interactive = false  // status never logs in
            let client = try EngineFactory.makeClient(settings: resolved.settings)
            var note: String?
            do throws(AuthError) { _ = try client.headers() } catch {
                note = error.kind == .loginRequired ? "not logged in (run `flyteauth login`)" : error.message
            }
            var status = client.status()
            if case .object(var o) = status {
                o["cache"] = .string(client.cacheDescription)
                if let note { o["note"] = .string(note) }
                status = .object(o)
            }
            if json { out(status.serialized); return }
            let o = status.objectValue ?? [:]
            func line(_ label: String, _ value: String?) { if let value { out(label.padding(16) + value) } }
            line("endpoint", o["endpoint"]?.stringValue)
            line("auth type", o["auth_type"]?.stringValue)
            line("client id", o["client_id"]?.stringValue)
            line("token from", o["token_source"]?.stringValue)
            if let e = o["expires_at"]?.numberValue {
                let left = Int(saturatingSeconds: e - Clock.now())
                line("expires", RFC3339.format(e) + (left > 0 ? " (in \(left / 60) min \(left % 60) s)" : " (expired)"))
            }
            line("refresh token", o["has_refresh_token"]?.boolValue.map { $0 ? "yes" : "no" })
            line("identity", Identity.describe(status))
            line("cache", o["cache"]?.stringValue)
            // Cache tiers (issue 14): which one served the token, and each one's state.
            line("token tier", o["token_tier"]?.stringValue)
            for tier in o["cache_tiers"]?.arrayValue ?? [] {
                let state = tier["available"]?.boolValue.map { $0 ? "available" : "unavailable" } ?? "not used"
                line("  " + (tier["name"]?.stringValue ?? "?"), state + ": " + (tier["detail"]?.stringValue ?? ""))
            }
            line("status", note ?? "logged in")
            if note != nil { throw AuthError(.loginRequired, note!) }
        } catch {
            throw ExitCode(Exit.code(for: error))
        }
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}

struct Logout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forget the tokens for the endpoint, in every tool's keyring layout.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        do throws(AuthError) {
            let client = try common.client()
            try client.logout()
            out("Logged out of \(client.endpoint?.configured ?? "Flyte").")
        } catch {
            throw Exit.fail(error)
        }
    }
}

struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the resolved settings, where each came from, secrets masked.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        do throws(AuthError) {
            out(PrettyJSON.format(try common.resolve().description))
        } catch {
            throw Exit.fail(error)
        }
    }
}
