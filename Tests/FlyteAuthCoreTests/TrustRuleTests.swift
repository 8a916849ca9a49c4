import FlyteAuthCore
import Testing

/// The trust rules' tables: which hosts are loopback, where a secret may go, what a
/// token may contain, and RFC 9207's issuer check.
@Suite struct TrustRuleTests {
    @Test func onlyLiteralLoopbackIsLoopback() {
        for host in ["127.0.0.1", "127.255.1.2", "::1", "0:0:0:0:0:0:0:1", "0::1", "LOCALHOST", "localhost"] {
            #expect(Loopback.isLoopback(host), "\(host)")
        }
        for host in ["127.1", "127.0.0.1.nip.io", "0x7f.0.0.1", "0177.0.0.1", "127.0.0.01", "127.0.0.256", "127.0.0",
                     "128.0.0.1", "0.0.0.0", "::", "::2", "::ffff:127.0.0.1", "1::1", "localhost.", "example.com", ""] {
            #expect(!Loopback.isLoopback(host), "\(host)")
        }
        #expect(Loopback.bindAddress("localhost") == "127.0.0.1")
        #expect(Loopback.bindAddress("0:0:0:0:0:0:0:1") == "::1")
    }

    @Test func redirectURIsOutsideLoopbackAreRefused() {
        for bad in ["http://127.1:8080/cb", "http://127.0.0.1.nip.io:8080/cb", "http://[::]:8080/cb", "http://0.0.0.0:8080/cb"] {
            #expect(throws: AuthError.self, "\(bad)") { try RedirectURI(bad) }
        }
    }

    @Test func secretsGoOverHTTPSOrToLoopbackOnly() throws {
        for ok in ["https://idp.example.com/token", "http://127.0.0.1:8080/token", "http://[::1]:1/t", "http://localhost/t",
                   "HTTPS://IDP/token"] {
            try SecretDestination.check(ok, what: "token_endpoint")
        }
        for bad in ["http://idp.example.com/token", "http://127.1/token", "http://user@evil.example/t", "ftp://x/t", "token"] {
            #expect(throws: AuthError.self, "\(bad)") { try SecretDestination.check(bad, what: "token_endpoint") }
        }
        // What an https server names must be https, even on loopback.
        #expect(throws: AuthError.self) {
            try SecretDestination.checkNamedByServer("http://127.0.0.1:1/token", what: "token_endpoint", serverBase: "https://flyte")
        }
        try SecretDestination.checkNamedByServer("http://127.0.0.1:1/token", what: "token_endpoint", serverBase: "http://127.0.0.1:2")
    }

    @Test func tokensArePrintableASCIIWithoutSpaces() {
        #expect(TokenSyntax.isValid("eyJhbGciOi.abc-_~+/=="))
        for bad in ["", "a b", "a\r\nX: 1", "a\u{1b}[2J", "a\u{7}", "caf\u{e9}", "a\u{7f}"] {
            #expect(!TokenSyntax.isValid(bad), "\(bad.debugDescription)")
        }
        #expect(throws: AuthError.self) {
            try TokenResponse.credentials(from: HTTPResponse(status: 200, body: Array(#"{"access_token":"a\u001b]0;x\u0007"}"#.utf8)),
                                          endpoint: "https://idp/token", now: 0)
        }
        #expect(CanonicalItem.decode(#"{"access_token":"a\r\nX: 1"}"#) == nil)
    }

    @Test func theIssuerInTheCallbackMustMatch() throws {
        let login = try PKCELogin(verifierBytes: Array(repeating: 1, count: 64), stateBytes: Array(repeating: 2, count: 40))
        let redirect = try RedirectURI("http://127.0.0.1:53593/callback")
        let base = ["code": "c", "state": login.state]
        let issuer = "https://idp.example.com"
        #expect(login.interpretCallback(path: "/callback", parameters: base, redirect: redirect, issuer: issuer) == .code("c"))
        var good = base
        good["iss"] = issuer
        #expect(login.interpretCallback(path: "/callback", parameters: good, redirect: redirect, issuer: issuer, issuerRequired: true) == .code("c"))
        var wrong = base
        wrong["iss"] = "https://attacker.example"
        guard case .failed = login.interpretCallback(path: "/callback", parameters: wrong, redirect: redirect, issuer: issuer) else {
            Issue.record("another issuer was accepted"); return
        }
        guard case .failed = login.interpretCallback(path: "/callback", parameters: base, redirect: redirect, issuer: issuer, issuerRequired: true) else {
            Issue.record("a missing iss was accepted where the server advertises it"); return
        }
    }
}
