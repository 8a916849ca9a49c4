import FlyteAuth
import FlyteAuthCore
import Glibc

/// The endpoint's DNS, TCP and TLS, each failure named on its own (curl folds them
/// into one error).
struct ConnectionCheck: DoctorCheck {
    let names = ["dns", "tcp", "tls"]
    let needs = DoctorNeed.client

    func run(_ c: DoctorContext) {
        guard let endpoint = c.endpoint else { return }
        c.reachable = network(endpoint: endpoint, c)
    }

    private func network(endpoint: FlyteEndpoint, _ c: DoctorContext) -> Bool {
        let settings = c.settings
        let report = c.report
        let https = endpoint.baseURL.hasPrefix("https://")
        let port = portOf(endpoint) ?? (https ? 443 : 80)
        if let proxy = settings.httpProxyURL.nonEmpty {
            report.add(.init(name: "dns", outcome: .info,
                             summary: "through the proxy \(DoctorText.withoutCredentials(proxy)): the proxy resolves \(endpoint.host)"))
        } else {
            let addresses: [String]
            switch NetworkProbe.resolve(endpoint.host, port: port) {
            case .failure(let why):
                report.fail("dns", "\(endpoint.host) does not resolve: \(why)",
                            fix: "check the host name in admin.endpoint (or --endpoint, FLYTE_PLATFORM_URL) and this machine's DNS (/etc/resolv.conf)",
                            kind: .network)
                return false
            case .success(let list):
                addresses = list
                report.ok("dns", "\(endpoint.host) is \(list.joined(separator: ", "))")
            }
            var failures: [String] = []
            var connected = false
            for address in addresses {
                switch NetworkProbe.connect(address, port: port, timeout: min(settings.connectTimeoutSeconds, settings.httpTimeoutSeconds)) {
                case .success(let ms):
                    report.ok("tcp", "connected to \(address) port \(port) in \(ms) ms")
                    connected = true
                case .failure(let why):
                    failures.append("\(address) port \(port): \(why)")
                }
                if connected { break }
            }
            if !connected {
                report.fail("tcp", failures.joined(separator: "; "),
                            fix: "nothing accepts connections there: check that Flyte runs at \(endpoint.hostAndPort) and the port in admin.endpoint (a plain-HTTP endpoint also needs admin.insecure: true)",
                            kind: .network)
                return false
            }
        }
        guard https else {
            report.add(.init(name: "tls", outcome: .info, summary: "plain HTTP (admin.insecure: true): no TLS, tokens travel unencrypted"))
            return true
        }
        return tls(endpoint: endpoint, c)
    }

    private func tls(endpoint: FlyteEndpoint, _ c: DoctorContext) -> Bool {
        let settings = c.settings
        let report = c.report
        let r: TLSProbe.Report
        do throws(AuthError) { r = try TLSProbe.probe(baseURL: endpoint.baseURL, settings: settings) } catch {
            report.fail("tls", error.message, fix: ExitStatus.fix(for: error), kind: error.kind)
            return false
        }
        var details: [String] = []
        let now = Clock.now()
        for (i, cert) in r.chain.enumerated() {
            var expiry = cert.expireText
            if let e = cert.expiresAt { expiry += e > now ? " (in \(Int(saturatingSeconds: (e - now) / 86400)) days)" : " (EXPIRED)" }
            details.append("certificate \(i): subject \(cert.subject); issuer \(cert.issuer); expires \(expiry)")
        }
        details.append("CA bundle: " + (r.caFile ?? "libcurl's default") + (r.caPath.map { ", CA directory \($0)" } ?? "")
                       + (settings.caCertFilePath.nonEmpty != nil ? " (admin.caCertFilePath)" : ""))
        if let error = r.verifyError {
            let m = error.lowercased()
            let fix: String
            if m.contains("subject name") || m.contains("host name") || m.contains("hostname") {
                fix = "the certificate does not name \(endpoint.host): use a host name it was issued for in admin.endpoint, or reissue it with that name"
            } else if m.contains("expired") {
                fix = "the server's certificate has expired: renew it (the dates are above)"
            } else {
                fix = "the chain does not lead to a CA this machine trusts: set admin.caCertFilePath to the CA certificate that signed it (or install it with update-ca-certificates); admin.insecureSkipVerify only for testing"
            }
            report.fail("tls", "the certificate of \(endpoint.hostAndPort) is not accepted: \(error)", fix: fix, kind: .network, details)
            return false
        }
        if settings.insecureSkipVerify {
            report.add(.init(name: "tls", outcome: .warn, summary: "verification is off (admin.insecureSkipVerify): anyone on the path can read the tokens",
                             details: details, fix: "remove insecureSkipVerify and set admin.caCertFilePath to the CA that signed the server's certificate"))
            return true
        }
        if let leaf = r.chain.first?.expiresAt, leaf - now < 14 * 86400 {
            report.add(.init(name: "tls", outcome: .warn, summary: "verified, but the certificate expires in \(Int(saturatingSeconds: (leaf - now) / 86400)) days",
                             details: details, fix: "renew the server's certificate"))
            return true
        }
        report.ok("tls", "verified: chain trusted, host name \(endpoint.host) matches", details)
        return true
    }

    private func portOf(_ endpoint: FlyteEndpoint) -> Int? {
        let hp = endpoint.hostAndPort
        let afterHost = hp.hasPrefix("[") ? hp[(hp.firstIndex(of: "]") ?? hp.startIndex)...].dropFirst() : hp.drop { $0 != ":" }
        return afterHost.hasPrefix(":") ? Int(afterHost.dropFirst()) : nil
    }
}
