/// The loopback listener's request: path and query from the browser (anyone on the host
/// can send one), then the redirect URI it was configured with. NUL-separated.
func fuzzPKCECallback(_ bytes: [UInt8]) {
    let parts = fuzzParts(bytes, 3)
    let login = try! PKCELogin(verifierBytes: Array(repeating: 7, count: 64), stateBytes: Array(repeating: 9, count: 40))
    let redirect = (try? RedirectURI(parts[2])) ?? (try! RedirectURI("http://localhost:53593/callback"))
    _ = redirect.bindAddresses
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
