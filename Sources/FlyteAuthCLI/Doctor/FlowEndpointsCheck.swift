import FlyteAuth
import FlyteAuthCore
import Glibc

/// Each endpoint the configured flow needs: given by the settings or the server, and
/// answering.
struct FlowEndpointsCheck: DoctorCheck {
    let names = ["flow endpoints"]
    let needs = DoctorNeed.connection

    func run(_ c: DoctorContext) {
        let settings = c.settings
        let p = c.parameters
        let name = "flow endpoints"
        let flow = settings.authType.rawValue
        var needs: [(String, String?, String)] = []  // (what, value, fix when missing)
        switch settings.authType {
        case .pkce:
            needs = [("authorization_endpoint", p.authorizationEndpoint, "the server's metadata has no authorization_endpoint: set flyteauth.authorization_endpoint, or use DeviceFlow"),
                     ("token_endpoint", p.tokenEndpoint, "set admin.tokenUrl"),
                     ("client_id", p.clientID, "set admin.clientId (the server's public client config has none)")]
        case .deviceFlow:
            needs = [("device_authorization_endpoint", p.deviceAuthorizationEndpoint,
                      "the server offers no device login (no device_authorization_endpoint in its OAuth2 metadata): set flyteauth.device_authorization_endpoint, or use authType: Pkce"),
                     ("token_endpoint", p.tokenEndpoint, "set admin.tokenUrl"),
                     ("client_id", p.clientID, "set admin.clientId (the server's public client config has none)")]
        case .clientSecret, .apiKey:
            needs = [("token_endpoint", p.tokenEndpoint, "set admin.tokenUrl"),
                     ("client_id", c.client.cacheClientID, "set admin.clientId")]
        case .tokenExchange:
            needs = [("token_endpoint", p.tokenEndpoint, "set admin.tokenUrl")]
        case .externalCommand:
            let exe = settings.command?.first ?? ""
            if exe.contains("/") ? access(exe, X_OK) == 0 : onPath(exe) {
                c.report.ok(name, "\(flow): the command \(exe) is executable")
            } else {
                c.report.fail(name, "\(flow): the command \"\(exe)\" is not an executable file or on PATH",
                              fix: "correct admin.command, or install the program", kind: .command)
            }
            return
        case .passthrough:
            c.report.add(.init(name: name, outcome: .info, summary: "\(flow): the host supplies the token"))
            return
        }
        var details: [String] = []
        for (what, value, fix) in needs {
            guard let value else {
                c.report.fail(name, "\(flow) needs \(what), and neither the settings nor the server give one", fix: fix,
                              kind: what == "client_id" ? .config : .unsupported, details)
                return
            }
            guard value.hasPrefix("http://") || value.hasPrefix("https://") else { details.append("\(what): \(value)"); continue }
            do throws(AuthError) {
                // Any HTTP answer proves the host serves; only the flow's own request can say more.
                let r = try c.send(HTTPRequest(method: .get, url: value, headers: [("Accept", "application/json")]), server: "the identity provider")
                let url = DoctorText.withoutQuery(value)
                details.append(r.status < 500
                    ? "\(what): \(url) answers (HTTP \(r.status) to a bare GET is expected: it serves only the flow's own request)"
                    : "\(what): \(url) answers HTTP \(r.status) (a server error: the flow may fail there)")
            } catch {
                c.report.fail(name, "\(what) \(DoctorText.withoutQuery(value)) does not answer: \(error.message)",
                              fix: ExitStatus.fix(for: error) ?? "check the identity provider is running and reachable from here", kind: error.kind, details)
                return
            }
        }
        if settings.authType == .pkce { details.append("redirect_uri: \(p.redirectURI)") }
        if settings.authType == .clientSecret {
            details.append("client secret: " + (settings.clientSecret.nonEmpty != nil ? "set (literal)"
                : settings.clientSecretLocation.map { "read from \($0)" } ?? "from \(settings.clientSecretEnvVar ?? "?")"))
        }
        c.report.ok(name, "\(flow) has everything it needs", details)
    }

    private func onPath(_ exe: String) -> Bool {
        guard !exe.isEmpty else { return false }
        return (Environment.process["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains { access("\($0)/\(exe)", X_OK) == 0 }
    }
}
