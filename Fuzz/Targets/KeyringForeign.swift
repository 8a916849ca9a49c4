let fuzzEndpoint = try! FlyteEndpoint("dns:///flyte.test:443", insecure: false)

/// flytekit's three items (access_token, refresh_token, id_token), NUL-separated.
func fuzzKeyringFlytekit(_ bytes: [UInt8]) {
    fuzzForeign(.flytekit, fuzzParts(bytes, 3))
}

/// flyte-sdk's one JSON item.
func fuzzKeyringFlyteSDK(_ bytes: [UInt8]) {
    fuzzForeign(.flyteSDK, [String(decoding: bytes, as: UTF8.self)])
}

/// flytectl's one item: Go's oauth2.Token as encoding/json writes it.
func fuzzKeyringFlytectl(_ bytes: [UInt8]) {
    fuzzForeign(.flytectl, [String(decoding: bytes, as: UTF8.self)])
}

private func fuzzForeign(_ layout: ForeignLayout, _ secrets: [String]) {
    let items = layout.items(for: fuzzEndpoint)
    let found = Dictionary(zip(items, secrets).filter { !$0.1.isEmpty }.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
    guard let c = layout.decode(found, endpoint: fuzzEndpoint, now: 1_700_000_000) else { return }
    fuzzCredentials(c)
}
