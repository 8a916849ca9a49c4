/// Flyte's two anonymous discovery documents (.well-known/oauth-authorization-server and
/// config/v1/flyte_client), then the flow parameters merged from them.
func fuzzDiscovery(_ bytes: [UInt8]) {
    guard let value = try? JSONValue.parse(bytes, what: "discovery") else { return }
    let metadata = try? OAuth2Metadata.decode(value)
    let client = try? PublicClientConfig.decode(value)
    if let metadata { _ = metadata.json.serialized }
    for authType in AuthType.allCases {
        var settings = Settings()
        settings.authType = authType
        settings.useAudienceFromAdmin = true
        let p = AuthParameters(settings: settings, metadata: metadata, clientConfig: client)
        if let redirect = try? RedirectURI(p.redirectURI) { _ = redirect.bindAddresses }
        if let endpoint = p.authorizationEndpoint {
            let login = try! PKCELogin(verifierBytes: Array(repeating: 1, count: 64), stateBytes: Array(repeating: 2, count: 40))
            _ = login.authorizeURL(endpoint: endpoint, parameters: p, clientID: p.clientID ?? "client")
        }
    }
}
