import ArgumentParser
import FlyteAuth
import FlyteAuthCore

struct Whoami: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask the server who the token belongs to (proves it works).",
        discussion: "Logs in first only when a person is at the terminal, as `token` does. Tries Flyte 2's IdentityService/UserInfo, then Flyte 1's /me, then the identity provider's userinfo endpoint.")

    @OptionGroup var common: CommonOptions

    @Flag(help: "Print JSON: the server's answer (token fields left out) and its source URL.")
    var json = false

    func run() throws {
        do throws(AuthError) {
            let client = try common.client(login: .atTerminal)
            Interrupt.cancelOnSIGINT(client)  // a login at the terminal stops on Ctrl-C, exit status 7
            guard let base = client.endpoint?.baseURL else { throw AuthError(.config, "no endpoint") }
            var tried: [String] = []
            var flyte2 = HTTPRequest(method: .post, url: base + "/flyteidl2.auth.IdentityService/UserInfo",
                                     headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
                                     body: Array("{}".utf8))
            flyte2.toFlyteEndpoint = true
            var flyte1 = HTTPRequest(method: .get, url: base + "/me", headers: [("Accept", "application/json")])
            flyte1.toFlyteEndpoint = true
            var requests = [flyte2, flyte1]
            // The server named it: never an access token over plain HTTP on its word.
            if let userinfo = try? client.loginParameters().userinfoEndpoint,
               (try? SecretDestination.checkNamedByServer(userinfo, what: "userinfo_endpoint", serverBase: base)) != nil {
                requests.append(HTTPRequest(method: .get, url: userinfo, headers: [("Accept", "application/json")]))
            }
            for request in requests {
                let response = try client.authorizedCall(request)
                if response.isSuccess, let o = (try? JSONValue.parse(response.body, what: "identity"))?.objectValue {
                    var shown: [String: JSONValue] = [:]
                    for (k, v) in o where !k.lowercased().contains("token") { shown[k] = v }
                    shown["source"] = .string(request.url)
                    if json {
                        out(PrettyJSON.format(.object(shown)))
                    } else {
                        if let who = Identity.describe(.object(["claims": .object(shown)])) { Terminal.print("", "You are \(who).", indent: 0) }
                        for key in shown.keys.sorted() where key != "source" {
                            Terminal.print(key.padding(16), shown[key]!.stringValue ?? shown[key]!.serialized, indent: 16)
                        }
                        Terminal.print("source".padding(16), request.url, indent: 16)
                    }
                    return
                }
                tried.append("\(request.url): HTTP \(response.status)")
                if response.status == 401 || response.status == 403 {
                    throw AuthError(.protocol, "the server refused the token (\(request.url): HTTP \(response.status))", httpStatus: response.status)
                }
            }
            throw AuthError(.unsupported, "no identity endpoint answered: " + tried.joined(separator: "; "))
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}

/// Indented JSON with sorted keys, for people.
enum PrettyJSON {
    static func format(_ v: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch v {
        case .object(let o):
            if o.isEmpty { return "{}" }
            return "{\n" + o.keys.sorted().map { "\(inner)\(JSONValue.string($0).serialized): \(format(o[$0]!, indent: inner))" }
                .joined(separator: ",\n") + "\n\(indent)}"
        case .array(let a):
            if a.isEmpty { return "[]" }
            return "[\n" + a.map { inner + format($0, indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        default:
            return v.serialized
        }
    }
}
