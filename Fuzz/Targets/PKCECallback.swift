/// The loopback listener's request: path and query from the browser (anyone on the host
/// can send one), then the redirect URI it was configured with. NUL-separated.
func fuzzPKCECallback(_ bytes: [UInt8]) {
    let parts = fuzzParts(bytes, 3)
    let login = try! PKCELogin(verifierBytes: Array(repeating: 7, count: 64), stateBytes: Array(repeating: 9, count: 40))
    let redirect = (try? RedirectURI(parts[2])) ?? (try! RedirectURI("http://localhost:53593/callback"))
    for address in redirect.bindAddresses {
        fuzzCheck(Loopback.isLoopback(address), "a redirect URI made the listener bind a non-loopback address")
    }
    if (try? SecretDestination.check(parts[2], what: "endpoint")) != nil, let (scheme, host) = SecretDestination.schemeAndHost(parts[2]) {
        fuzzCheck(scheme == "https" || Loopback.isLoopback(host), "a secret allowed over plain HTTP off loopback")
    }
    if case .code = login.interpretCallback(path: redirect.path, parameters: ["state": login.state, "code": "c", "iss": parts[1]],
                                            redirect: redirect, issuer: parts[0], issuerRequired: true) {
        fuzzCheck(parts[1] == parts[0] && !parts[0].isEmpty, "a callback from another issuer accepted")
    }
    switch login.interpretCallback(path: parts[0], query: parts[1], redirect: redirect) {
    case .code(let code): fuzzCheck(!code.isEmpty, "an empty authorization code accepted")
    case .failed(let error): _ = error.description
    case .wrongState, .notTheCallback: break
    }
    // The same query with our state, so the code and error branches are reached.
    let query = "state=" + login.state + "&" + parts[1]
    if case .code(let code) = login.interpretCallback(path: redirect.path, query: query, redirect: redirect) {
        fuzzCheck(!code.isEmpty, "an empty authorization code accepted")
    }
    _ = FormEncoding.decode(Substring(parts[1]))
}
