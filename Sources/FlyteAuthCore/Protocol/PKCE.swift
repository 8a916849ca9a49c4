import CCrypto

/// Authorization code with PKCE (RFC 7636): the secrets of one login and the URL the
/// person opens. Random bytes come from the caller so this stays pure and testable.
public struct PKCELogin: Sendable {
    public let codeVerifier: String
    public let codeChallenge: String
    public let state: String

    /// `verifierBytes`: 64 CSPRNG bytes (86 base64url characters); `stateBytes`: 40.
    public init(verifierBytes: [UInt8], stateBytes: [UInt8]) throws(AuthError) {
        codeVerifier = Base64.encodeURL(verifierBytes)
        codeChallenge = try PKCELogin.challenge(for: codeVerifier)
        state = Base64.encodeURL(stateBytes)
    }

    /// base64url(SHA-256(verifier)), the S256 method.
    /// libcrypto is loaded here, on a login's first use, not by every host.
    public static func challenge(for verifier: String) throws(AuthError) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        let input = Array(verifier.utf8)
        let rc = input.withUnsafeBufferPointer { p in fa_sha256(p.baseAddress, p.count, &digest) }
        guard rc == 0 else { throw AuthError.missingLibrary(String(cString: fa_crypto_load_error())).prefixed("PKCE") }
        return Base64.encodeURL(digest)
    }

    /// The authorization URL, keeping any query the endpoint already has.
    public func authorizeURL(endpoint: String, parameters p: AuthParameters, clientID: String) -> String {
        var fields = [("client_id", clientID), ("response_type", "code")]
        if !p.scopes.isEmpty { fields.append(("scope", p.scopes.joined(separator: " "))) }
        fields.append(("redirect_uri", p.redirectURI))
        fields.append(("state", state))
        if let audience = p.audience { fields.append(("audience", audience)) }
        fields.append(("code_challenge", codeChallenge))
        fields.append(("code_challenge_method", "S256"))
        return FormEncoding.appendQuery(endpoint, fields)
    }

    /// What one request to the loopback listener means for the login.
    public enum CallbackOutcome: Sendable, Equatable {
        /// The right path and state with a code: the login can finish.
        case code(String)
        /// The right path and state with `error=`: the login ends with this error.
        case failed(AuthError)
        /// The right path with a state that is not ours: answer 400, keep waiting.
        case wrongState
        /// Any other path (favicon, probes): answer 404, keep waiting.
        case notTheCallback
    }

    public func interpretCallback(path: String, query: String, redirect: RedirectURI) -> CallbackOutcome {
        guard path == redirect.path else { return .notTheCallback }
        guard let fields = FormEncoding.decode(Substring(query)) else { return .wrongState }
        return interpretCallback(path: path, parameters: Dictionary(fields, uniquingKeysWith: { first, _ in first }),
                                 redirect: redirect)
    }

    /// The same, with the query already decoded (as an HTTP server library hands it over).
    ///
    /// `issuer`: the authorization server's issuer; `issuerRequired`: it advertises
    /// `authorization_response_iss_parameter_supported`. RFC 9207: an `iss` that is present
    /// must equal the issuer, and must be present when advertised (mix-up attacks).
    public func interpretCallback(path: String, parameters params: [String: String], redirect: RedirectURI,
                                  issuer: String? = nil, issuerRequired: Bool = false) -> CallbackOutcome {
        guard path == redirect.path else { return .notTheCallback }
        guard let got = params["state"], constantTimeEqual(got, state) else { return .wrongState }
        if let iss = params["iss"] ?? (issuerRequired ? "" : nil) {
            guard let issuer, !issuer.isEmpty else {
                return .failed(AuthError(.protocol, "the login callback names an issuer (iss) but the server's metadata names none, so it cannot be checked (RFC 9207)"))
            }
            guard iss == issuer else {
                let got = iss.isEmpty ? "no issuer (iss)" : "issuer \(ServerText.quoted(iss, limit: 200))"
                return .failed(AuthError(.protocol, "the login callback came with \(got), not \(ServerText.quoted(issuer, limit: 200)) as the server's metadata requires (RFC 9207): the login was not completed"))
            }
        }
        if let error = params["error"] {
            let description = params["error_description"].nonEmpty.map { ServerText.clean($0) }
            var message = "the identity provider ended the login: \(ServerText.clean(error, limit: 100))"
            if let description { message += " (\(description))" }
            return .failed(AuthError(.oauth, message, oauthError: error, oauthErrorDescription: description))
        }
        guard let code = params["code"], !code.isEmpty else {
            return .failed(AuthError(.protocol, "the login callback carried neither a code nor an error"))
        }
        return .code(code)
    }
}

/// Comparison whose time does not depend on where the strings differ.
public func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in x.indices { diff |= x[i] ^ y[i] }
    return diff == 0
}

/// A PKCE redirect URI on loopback (RFC 8252 7.3): where the listener binds.
public struct RedirectURI: Sendable, Equatable {
    public let uri: String
    public let host: String
    public let port: UInt16
    public let path: String

    /// Addresses to listen on, literal loopback only (`Loopback`): `localhost` means
    /// both IPv4 and IPv6 loopback, whichever the browser resolves it to.
    public var bindAddresses: [String] {
        if host.lowercased() == "localhost" { return ["127.0.0.1", "::1"] }
        return Loopback.bindAddress(host).map { [$0] } ?? []
    }

    public init(_ uri: String) throws(AuthError) {
        self.uri = uri
        guard uri.lowercased().hasPrefix("http://") else {
            throw AuthError(.config, "redirect URI \"\(uri)\" must start with http:// (a loopback listener; RFC 8252)")
        }
        let rest = uri.dropFirst(7)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let pathAndQuery = rest.dropFirst(authority.count)
        path = pathAndQuery.isEmpty ? "/" : String(pathAndQuery.prefix { $0 != "?" && $0 != "#" })
        var hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw AuthError(.config, "redirect URI \"\(uri)\": unterminated IPv6 address")
            }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portPart = after.dropFirst() }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        } else {
            hostPart = authority
        }
        host = String(hostPart)
        guard let portText = portPart, let p = UInt16(portText), p > 0 else {
            throw AuthError(.config, "redirect URI \"\(uri)\" needs an explicit port (e.g. http://localhost:53593/callback)")
        }
        port = p
        guard Loopback.isLoopback(host) else {
            throw AuthError(.config, "redirect URI \"\(ServerText.clean(uri, limit: 200))\": host \"\(ServerText.clean(host, limit: 100))\" is not a literal loopback address, so the login callback could be reachable from the network (use 127.0.0.1, [::1] or localhost; RFC 8252)")
        }
    }
}
