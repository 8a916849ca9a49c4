import FlyteAuthCore
import Testing

@Suite struct PKCETests {
    @Test func challengeTestVector() throws {
        #expect(try PKCELogin.challenge(for: "test_code_verifier") == "Qq1fGD0HhxwbmeMrqaebgn1qhvKeguQPXqLdpmixaM4")
    }

    @Test func verifierAndStateShapes() throws {
        let login = try PKCELogin(verifierBytes: [UInt8](repeating: 7, count: 64), stateBytes: [UInt8](repeating: 9, count: 40))
        #expect(login.codeVerifier.count == 86)
        #expect(login.codeVerifier.allSatisfy { $0.isLetter || $0.isNumber || "-._~".contains($0) })
        #expect(!login.state.contains("="))
    }

    @Test func authorizeURLKeepsQueryAndCarriesEveryParameter() throws {
        let login = try PKCELogin(verifierBytes: Array(0..<64), stateBytes: Array(0..<40))
        var s = Settings()
        s.audience = "aud"
        let p = AuthParameters(settings: s, metadata: nil, clientConfig: nil)
        let url = login.authorizeURL(endpoint: "https://idp/authorize?tenant=t1", parameters: p, clientID: "flytectl")
        #expect(url.hasPrefix("https://idp/authorize?tenant=t1&client_id=flytectl&response_type=code"))
        let query = FormEncoding.decode(url.split(separator: "?", maxSplits: 1)[1])!
        let fields = Dictionary(query, uniquingKeysWith: { a, _ in a })
        #expect(fields["redirect_uri"] == "http://localhost:53593/callback")
        #expect(fields["code_challenge_method"] == "S256" && fields["code_challenge"] == login.codeChallenge)
        #expect(fields["state"] == login.state && fields["audience"] == "aud")
    }

    @Test func callbackInterpretation() throws {
        let login = try PKCELogin(verifierBytes: Array(0..<64), stateBytes: Array(0..<40))
        let redirect = try RedirectURI("http://localhost:53593/callback")
        let state = FormEncoding.escape(login.state)
        #expect(login.interpretCallback(path: "/favicon.ico", query: "", redirect: redirect) == .notTheCallback)
        #expect(login.interpretCallback(path: "/callback", query: "code=c&state=wrong", redirect: redirect) == .wrongState)
        #expect(login.interpretCallback(path: "/callback", query: "code=c&state=\(state)", redirect: redirect) == .code("c"))
        guard case .failed(let e) = login.interpretCallback(path: "/callback", query: "error=access_denied&error_description=User+said+no&state=\(state)", redirect: redirect) else {
            Issue.record("error callback not failed"); return
        }
        #expect(e.oauthError == "access_denied" && e.oauthErrorDescription == "User said no")
    }

    @Test func redirectURIMustBeLoopbackWithAPort() throws {
        let r = try RedirectURI("http://localhost:53593/callback")
        #expect(r.port == 53593 && r.path == "/callback" && r.bindAddresses == ["127.0.0.1", "::1"])
        #expect(try RedirectURI("http://[::1]:8080/cb").bindAddresses == ["::1"])
        #expect(try RedirectURI("http://127.0.0.1:8080").path == "/")
        for bad in ["https://localhost:1/cb", "http://example.com:80/cb", "http://localhost/cb", "http://localhost:0/cb", "http://localhost:99999/cb"] {
            #expect(throws: AuthError.self, "\(bad)") { try RedirectURI(bad) }
        }
    }
}

@Suite struct DevicePollingTests {
    func authorization(interval: Double = 5) -> DeviceAuthorization {
        DeviceAuthorization(deviceCode: "d", userCode: "U", verificationURI: "https://idp/device", verificationURIComplete: nil,
                            expiresAt: 100, interval: interval)
    }

    func error(_ code: String) -> HTTPResponse { HTTPResponse(status: 400, body: Array("{\"error\":\"\(code)\"}".utf8)) }

    @Test func pendingWaitsAndSlowDownAddsFiveSecondsForGood() {
        var p = DevicePolling(authorization: authorization(), timeout: 600, now: 0)
        guard case .wait(5) = p.next(after: error("authorization_pending"), endpoint: "t", now: 0) else { Issue.record("pending"); return }
        guard case .wait(10) = p.next(after: error("slow_down"), endpoint: "t", now: 5) else { Issue.record("slow_down"); return }
        guard case .wait(10) = p.next(after: error("authorization_pending"), endpoint: "t", now: 15) else { Issue.record("kept"); return }
        guard case .wait(15) = p.next(after: error("slow_down"), endpoint: "t", now: 25) else { Issue.record("again"); return }
    }

    @Test func terminalErrorsStop() {
        for (code, kind) in [("expired_token", ErrorKind.oauth), ("access_denied", .oauth), ("invalid_client", .oauth)] {
            var p = DevicePolling(authorization: authorization(), timeout: 600, now: 0)
            guard case .fail(let e) = p.next(after: error(code), endpoint: "t", now: 0) else { Issue.record("\(code)"); continue }
            #expect(e.kind == kind && e.oauthError == code)
        }
    }

    /// A failing token endpoint (5xx, network) is not the person's
    /// fault: polling goes on to the deadline, and the error then says what failed.
    @Test func tokenEndpointFailuresAreNamedAtTheDeadline() {
        var p = DevicePolling(authorization: authorization(), timeout: 12, now: 0)
        guard case .wait = p.next(after: HTTPResponse(status: 500, body: Array("<html>oops".utf8)), endpoint: "https://idp/token", now: 1) else {
            Issue.record("a 5xx poll is retried"); return
        }
        guard case .fail(let e) = p.afterTransientFailure(AuthError(.timeout, "POST https://idp/token: no answer within 1 s"), now: 12) else {
            Issue.record("deadline"); return
        }
        #expect(e.kind == .timeout)
        #expect(e.message.contains("token endpoint failed") && e.message.contains("https://idp/token") && !e.message.contains("not approved"))
        // An answer after the failure (pending) means the person, again, is who we wait for.
        var q = DevicePolling(authorization: authorization(), timeout: 12, now: 0)
        _ = q.afterTransientFailure(AuthError(.network, "down"), now: 1)
        guard case .fail(let f) = q.next(after: error("authorization_pending"), endpoint: "t", now: 12) else { Issue.record("deadline"); return }
        #expect(f.message.contains("not approved in time"))
    }

    /// The device flow's deadline holds: no wait and no poll reaches past the deadline.
    @Test func waitsAndPollsAreBoundedByTheTimeLeft() {
        let p = DevicePolling(authorization: authorization(interval: 5), timeout: 2, now: 0)
        #expect(p.firstWait(now: 0) == 2)
        #expect(p.requestTimeout(now: 1.5) == 0.5)
        #expect(p.requestTimeout(now: 3) == 0.001, "never 0, which would mean no timeout")
    }

    @Test func pollsOnceMoreAtTheDeadlineThenStops() {
        var p = DevicePolling(authorization: authorization(), timeout: 12, now: 0)
        guard case .wait(let w) = p.next(after: error("authorization_pending"), endpoint: "t", now: 8), w == 4 else {
            Issue.record("the last wait is shortened to the deadline"); return
        }
        guard case .fail(let e) = p.next(after: error("authorization_pending"), endpoint: "t", now: 12) else { Issue.record("deadline"); return }
        #expect(e.kind == .timeout)
    }

    @Test func decodesTheAuthorizationResponse() throws {
        let body = #"{"device_code":"dc","user_code":"ABCD","verification_uri":"https://idp/device","expires_in":600}"#
        let d = try DeviceAuthorization.decode(HTTPResponse(status: 200, body: Array(body.utf8)), endpoint: "t", now: 10)
        #expect(d.interval == 5 && d.expiresAt == 610)
        #expect(d.preferredURI == "https://idp/device?user_code=ABCD")
        #expect(throws: AuthError.self) {
            try DeviceAuthorization.decode(HTTPResponse(status: 200, body: Array(#"{"device_code":"dc"}"#.utf8)), endpoint: "t", now: 0)
        }
    }
}
