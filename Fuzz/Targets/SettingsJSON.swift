/// The settings JSON object a caller passes to flyteauth_client_new, then what the
/// engine derives from it (endpoint forms, redirect URI, flow parameters).
func fuzzSettingsJSON(_ bytes: [UInt8]) {
    guard let settings = try? Settings.parse(json: bytes) else { return }
    fuzzDerived(settings)
}

/// What the engine computes from any accepted settings, whatever their source.
func fuzzDerived(_ settings: Settings) {
    if let endpoint = settings.endpoint, let e = try? FlyteEndpoint(endpoint, insecure: settings.insecure) {
        _ = e.host
        for layout in ForeignLayout.allCases { _ = layout.items(for: e) }
        _ = CacheKey(endpoint: e, clientID: settings.clientID ?? "").fileKey
    }
    if let apiKey = settings.apiKey { _ = try? APIKey(decoding: apiKey) }
    let parameters = AuthParameters(settings: settings, metadata: nil, clientConfig: nil)
    if let redirect = try? RedirectURI(parameters.redirectURI) { _ = redirect.bindAddresses }
    _ = AuthParameters.needsDiscovery(settings)
}
