import FlyteAuth
import FlyteAuthCore

/// The identity provider's own metadata, found from the issuer Flyte's metadata names.
struct IdentityProviderCheck: DoctorCheck {
    let names = ["identity provider"]
    let needs = DoctorNeed.connection

    func run(_ c: DoctorContext) {
        let metadata = c.metadata
        guard let issuer = metadata?.issuer else {
            c.report.add(.init(name: "identity provider", outcome: metadata == nil ? .skip : .warn,
                               summary: metadata == nil ? "skipped: no OAuth2 metadata" : "the OAuth2 metadata names no issuer"))
            return
        }
        // OIDC puts the metadata under the issuer; some IdPs (glewlwyd, Keycloak behind a
        // path) under the directory of their endpoints instead.
        var candidates: [String] = []
        let trimmed = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        for base in [trimmed] + [metadata?.authorizationEndpoint, metadata?.deviceAuthorizationEndpoint].compactMap({ $0 }).map(directory) {
            for path in ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"] where !candidates.contains(base + path) {
                candidates.append(base + path)
            }
        }
        var tried: [String] = []
        for url in candidates {
            do throws(AuthError) {
                let response = try c.send(HTTPRequest(method: .get, url: url, headers: [("Accept", "application/json")]),
                                          server: "the identity provider")
                guard response.isSuccess, let idp = try? OAuth2Metadata.decode(try JSONValue.parse(response.body, what: "IdP metadata")) else {
                    tried.append("\(url): HTTP \(response.status)")
                    continue
                }
                var details = ["issuer \(issuer)"]
                if let t = idp.tokenEndpoint { details.append("token endpoint \(t)") }
                if let d = idp.deviceAuthorizationEndpoint { details.append("device authorization endpoint \(d)") }
                if let i = idp.issuer, i != issuer { details.append("its issuer is \(i), Flyte's metadata says \(issuer): tokens may be refused") }
                c.report.ok("identity provider", "metadata at \(url)", details)
                return
            } catch {
                tried.append("\(url): \(error.message)")
                if error.kind == .network || error.kind == .timeout { break }
            }
        }
        c.report.add(.init(name: "identity provider", outcome: .warn, summary: "the issuer \(issuer) publishes no metadata",
                           details: tried, fix: "not needed while Flyte's metadata names every endpoint; check the IdP's issuer URL if logins fail"))
    }

    /// "https://idp/a/b/auth" -> "https://idp/a/b".
    private func directory(_ url: String) -> String {
        let bare = DoctorText.withoutQuery(url)
        guard let slash = bare.lastIndex(of: "/"), bare[..<slash].hasSuffix(":/") == false else { return bare }
        return String(bare[..<slash])
    }
}
