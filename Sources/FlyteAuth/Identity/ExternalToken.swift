import FlyteAuthCore

/// Reads an external token (a federated client assertion, a token-exchange subject) from
/// its source, every time it is needed: kubelet replaces a projected token by swapping
/// the volume's `..data` symlink, so the path is opened anew each time and no descriptor
/// is kept. A token past its own `exp` is never sent.
enum ExternalToken {
    /// `what` names the setting in messages ("client_assertion").
    /// `checkExpiry` false: for doctor, which reports an expired token's claims itself.
    static func read(_ source: CredentialSource, what: String, context: FlowContext, checkExpiry: Bool = true) throws(AuthError) -> String {
        let token: String
        var expiresAt: Double?
        switch source {
        case .file(let path):
            let contents = try KeyFile.read(path, setting: what)
            guard let text = String(validating: contents.bytes, as: UTF8.self)?.trimmingSpaces(), !text.isEmpty else {
                throw AuthError(.config, "\(what): \(path) is empty or not text")
            }
            token = text
        case .env(let name):
            guard let value = Environment.process[name]?.trimmingSpaces(), !value.isEmpty else {
                throw AuthError(.config, "\(what): the environment variable \(name) is not set or empty")
            }
            token = value
        case .command(let argv):
            let output = try CommandFlow.runDocument(argv, context: context, what: "\(what) command")
            token = output.token
            expiresAt = output.expiresAt
        case .githubActions(let audience):
            token = try githubActions(audience: audience, what: what, context: context)
        }
        guard HTTPHeaderName.isSafeValue(token), !token.contains(" ") else {
            throw AuthError(.config, "\(what): the token from \(source.description) is not a single word")
        }
        try TokenSyntax.check(token, what: "token", source: "\(what): \(source.description)", kind: .config)
        if checkExpiry, let exp = expiresAt ?? JWT.expiry(of: token), exp <= context.clock.now() + 5 {
            throw AuthError(.config, "\(what): the token from \(source.description) expired at \(RFC3339.format(exp)); its issuer has not renewed it")
        }
        return token
    }

    /// GitHub Actions' OIDC token: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD with the
    /// request token as a bearer; the answer is {"value": JWT}.
    private static func githubActions(audience: String?, what: String, context: FlowContext) throws(AuthError) -> String {
        let env = Environment.process
        guard let url = env["ACTIONS_ID_TOKEN_REQUEST_URL"], let bearer = env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] else {
            throw AuthError(.config, "\(what): ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set (the job needs `permissions: id-token: write`)")
        }
        let target = audience.map { FormEncoding.appendQuery(url, [("audience", $0)]) } ?? url
        let response = try context.send(HTTPRequest(method: .get, url: target, headers: [("Authorization", "bearer " + bearer)]))
        guard response.status == 200 else {
            throw AuthError(.protocol, "\(what): GitHub's OIDC token endpoint answered HTTP \(response.status)")
        }
        guard let o = (try? JSONValue.parse(response.body, what: "GitHub OIDC answer"))?.objectValue,
              let value = o["value"]?.stringValue, !value.isEmpty else {
            throw AuthError(.protocol, "\(what): GitHub's OIDC token endpoint answered without a \"value\"")
        }
        return value
    }
}
