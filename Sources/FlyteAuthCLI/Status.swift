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
            let client = try common.client(login: .never)  // status never logs in
            var note: String?
            var failure: AuthError?
            do throws(AuthError) { _ = try client.headers() } catch {
                failure = error
                note = error.kind == .loginRequired ? "not logged in (run `flyteauth login`)" : "failed (exit status \(ExitStatus.code(for: error))): see the error below"
            }
            var status = client.status()
            if case .object(var o) = status {
                o["cache"] = .string(client.cacheDescription)
                if let note { o["note"] = .string(note) }
                status = .object(o)
            }
            if json {
                out(status.serialized)
                if let failure { throw failure }
                return
            }
            let o = status.objectValue ?? [:]
            func line(_ label: String, _ value: String?) { if let value { out(label.padding(16) + value) } }
            line("endpoint", o["endpoint"]?.stringValue)
            line("auth type", o["auth_type"]?.stringValue)
            line("client id", o["client_id"]?.stringValue)
            line("token from", o["token_source"]?.stringValue)
            if let e = o["expires_at"]?.numberValue {
                let left = Int(saturatingSeconds: e - Clock.now())
                line("expires", RFC3339.format(e) + (left > 0 ? " (in \(left / 60) min \(left % 60) s)" : " (expired)"))
            } else if o["has_token"]?.boolValue == true {
                line("expires", "unknown (no lifetime was given; it is used until a server rejects it)")
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
            if let failure { throw failure }
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}

struct Logout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forget the tokens for the endpoint, in every tool's keyring layout.",
        discussion: "Works offline when the endpoint and client id are configured; otherwise the client id comes from the server.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        do throws(AuthError) {
            let client = try common.client(login: .never)
            if let endpoint = client.endpoint, let clientID = client.cacheClientID {
                // Endpoint and client id name the cache entries: no discovery, works offline.
                _ = try CacheInspection.removeLogin(settings: client.settings, endpoint: endpoint, clientID: clientID)
            } else {
                try client.logout()  // the client id comes from the server's discovery documents
            }
            out("Logged out of \(client.endpoint?.configured ?? "Flyte").")
        } catch {
            throw ExitStatus.fail(error)
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
            throw ExitStatus.fail(error)
        }
    }
}
