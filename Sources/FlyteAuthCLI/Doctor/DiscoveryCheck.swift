import FlyteAuth
import FlyteAuthCore

/// Both Flyte discovery documents, fetched by the engine's own discovery (Flyte 1's REST
/// path, then Flyte 2's ConnectRPC one; proxy-authorization as a login sends it).
struct DiscoveryCheck: DoctorCheck {
    let names = ["discovery"]
    let needs = DoctorNeed.connection

    func run(_ c: DoctorContext) {
        guard let endpoint = c.endpoint else { return }
        var steps: [DiscoveryStep] = []
        let (metadata, clientConfig) = c.client.probeDiscovery { step in
            steps.append(step)
            if let response = step.response {
                c.noteDate(response, server: endpoint.hostAndPort, sent: step.sentAt, received: step.receivedAt)
            }
        }
        c.metadata = show(metadata, "OAuth2 metadata", steps, endpoint: endpoint, c)
        c.clientConfig = show(clientConfig, "public client config", steps, endpoint: endpoint, c)
    }

    private func show<T>(_ result: Result<T, AuthError>, _ what: String, _ all: [DiscoveryStep], endpoint: FlyteEndpoint,
                         _ c: DoctorContext) -> T? {
        let steps = all.filter { $0.document == what }
        func line(_ s: DiscoveryStep) -> String {
            "\(s.request.method.rawValue) \(s.request.url.dropFirst(endpoint.baseURL.count)): \(s.outcome)"
        }
        switch result {
        case .success(let value):
            let answered = steps.last.map { "\($0.request.method.rawValue) \($0.request.url.dropFirst(endpoint.baseURL.count))" } ?? "?"
            c.report.ok("discovery", "\(what): \(answered) answered", steps.dropLast().map { "first tried " + line($0) })
            return value
        case .failure(let error):
            let summary = error.kind == .protocol ? "\(endpoint.baseURL) serves no \(what)" : error.message
            let details = steps.map(line)
            if error.kind != .protocol {
                c.report.fail("discovery", summary, fix: ExitStatus.fix(for: error), kind: error.kind, details)
            } else if AuthParameters.needsDiscovery(c.settings) {
                c.report.fail("discovery", summary, fix: fixText, kind: .protocol, details)
            } else {
                c.report.add(.init(name: "discovery", outcome: .warn, summary: summary + " (not needed: the settings give what it would)",
                                   details: details, fix: fixText))
            }
            return nil
        }
    }

    private let fixText = "point admin.endpoint (or --endpoint) at the Flyte admin endpoint (the address flytectl uses), with authentication enabled"
}
