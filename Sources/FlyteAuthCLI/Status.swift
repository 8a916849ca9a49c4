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
            func line(_ label: String, _ value: String?) { if let value { Terminal.print(label.padding(16), value, indent: 16) } }
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
            // Each tier: what it holds for this login, in words.
            let served = o["token_tier"]?.stringValue
            for tier in o["cache_tiers"]?.arrayValue ?? [] {
                let name = tier["name"]?.stringValue ?? "?"
                line("  " + TierWords.label(name), TierWords.describe(tier, served: served, client: client))
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

    @Flag(help: "Print JSON: {endpoint, logged_out}.")
    var json = false

    func run() throws {
        do throws(AuthError) {
            let client = try common.client(login: .never)
            if let endpoint = client.endpoint, let clientID = client.cacheClientID {
                // Endpoint and client id name the cache entries: no discovery, works offline.
                _ = try CacheInspection.removeLogin(settings: client.settings, endpoint: endpoint, clientID: clientID)
            } else {
                try client.logout()  // the client id comes from the server's discovery documents
            }
            if json {
                out(JSONValue.object(["endpoint": client.endpoint.map { .string($0.configured) } ?? .null, "logged_out": true]).serialized)
            } else {
                out("Logged out of \(client.endpoint?.configured ?? "Flyte").")
            }
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}

/// What a cache tier holds, for `status`: the tier that served the token says so; one
/// not read this time is looked into, so "not used" never hides a login that is there.
enum TierWords {
    static func label(_ name: String) -> String {
        ["kernel": "kernel keyring", "secret_service": "Secret Service", "file": "file cache"][name] ?? name
    }

    static func describe(_ tier: JSONValue, served: String?, client: AuthClient) -> String {
        let name = tier["name"]?.stringValue ?? "?"
        var detail = tier["detail"]?.stringValue ?? ""
        if detail.hasPrefix("off") { return detail }
        // 'Secret Service (service "x", username "y")' after the label "Secret Service": the part in brackets.
        if detail.hasPrefix(label(name) + " ("), detail.hasSuffix(")") {
            detail = String(detail.dropFirst(label(name).count + 2).dropLast())
        }
        if name == served { return "holds the token (served it)" + (detail.isEmpty ? "" : "; " + detail) }
        switch tier["available"]?.boolValue {
        case .some(false): return "unavailable" + (detail.isEmpty ? "" : ": " + detail)
        case .some(true) where name != "secret_service" || served == nil: return "available" + (detail.isEmpty ? "" : ": " + detail)
        default: break
        }
        // Not read this time (a faster tier answered): look, without a secret.
        if name == "secret_service", let endpoint = client.endpoint {
            let logins = try? CacheInspection.keyringLogins(endpoint: endpoint, clientID: client.cacheClientID,
                                                           timeout: client.settings.keyringTimeoutSeconds)
            let why = " (not read: the \(label(served ?? "")) served it)"
            if let logins {
                let foreign = logins.filter { $0.layout != "flyteauth" }.map { "\($0.layout)'s" }
                if logins.contains(where: { $0.layout == "flyteauth" }) { return "holds this login too" + why }
                // Without the client id (it comes from discovery) only the other tools' items can be named.
                if !foreign.isEmpty { return "holds this login in " + foreign.joined(separator: ", ") + " layout" + why }
                if client.cacheClientID != nil { return "holds no copy of this login" + why }
            }
        }
        return "not read this time" + (detail.isEmpty ? "" : ": " + detail)
    }
}

struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the resolved settings, where each came from, secrets masked.")

    @OptionGroup var common: CommonOptions

    @Flag(help: "Print JSON: {config_file, settings: {key: {value, source}}}.")
    var json = false

    @Flag(help: "Print every settings key the library knows, one a line, and nothing else.")
    var keys = false

    func run() throws {
        if keys {
            out(Settings.keys.joined(separator: "\n"))
            return
        }
        do throws(AuthError) {
            let description = try common.resolve().description
            if json {
                out(PrettyJSON.format(description))
                return
            }
            let o = description.objectValue ?? [:]
            Terminal.print("auth type       ", o["auth_type"]?.stringValue ?? "?", indent: 16)
            Terminal.print("config file     ", o["config_file"]?.stringValue ?? "none (searched $FLYTECTL_CONFIG, ./flytekit.config, ~/.flyte/config, ~/.flyte/config.yaml)", indent: 16)
            for (key, v) in (o["settings"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                let value = v["value"].map { $0.stringValue ?? $0.serialized } ?? "?"
                Terminal.print("", "\(key) = \(value)  (\(v["source"]?.stringValue ?? "?"))", indent: 4)
            }
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}
