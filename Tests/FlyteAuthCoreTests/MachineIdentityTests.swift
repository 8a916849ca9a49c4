import FlyteAuthCore
import Testing

@Suite struct SHA256Tests {
    @Test func knownAnswers() {
        #expect(SHA256.hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // Two blocks (56 bytes: the padding spills over).
        #expect(SHA256.hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // RFC 4231 test case 2, and a key longer than the block (test case 6).
        #expect(SHA256.hex(SHA256.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(SHA256.hex(SHA256.hmac(key: [UInt8](repeating: 0xaa, count: 131),
                                       message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }
}

@Suite struct ClientAssertionTests {
    @Test func rfc7638Thumbprint() {
        // RFC 7638 section 3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        #expect(ClientAssertion.jwkThumbprint(["kty": "RSA", "n": n, "e": "AQAB"]) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    @Test func claimsAndHeader() throws {
        var a = ClientAssertion(algorithm: .es256, keyID: "k1", certificateThumbprint: "x5t", clientID: "svc",
                                audience: "https://idp/token", jwtID: "j1", issuedAt: 1_700_000_000.7)
        a.lifetime = 3600  // capped at five minutes
        let parts = a.signingInput.split(separator: ".").map(String.init)
        let header = try #require(try? JSONValue.parse(Base64.decodeURL(parts[0])!, what: "h")).objectValue!
        let claims = try #require(try? JSONValue.parse(Base64.decodeURL(parts[1])!, what: "c")).objectValue!
        #expect(header["alg"]?.stringValue == "ES256" && header["kid"]?.stringValue == "k1" && header["x5t#S256"]?.stringValue == "x5t")
        #expect(claims["iss"]?.stringValue == "svc" && claims["sub"]?.stringValue == "svc")
        #expect(claims["aud"]?.stringValue == "https://idp/token" && claims["jti"]?.stringValue == "j1")
        #expect(claims["iat"]?.numberValue == 1_700_000_000 && claims["exp"]?.numberValue == 1_700_000_300)
    }
}

@Suite struct CommandOutputTests {
    let now = 1_700_000_000.0

    func parsed(_ text: String) -> CommandOutput? {
        if case .success(let o) = CommandOutput.parse(Array(text.utf8), now: now) { return o }
        return nil
    }

    func why(_ text: String) -> String? {
        if case .failure(.invalid(let w)) = CommandOutput.parse(Array(text.utf8), now: now) { return w }
        return nil
    }

    @Test func everyShape() {
        #expect(parsed("  tok \n") == CommandOutput(token: "tok", expiresAt: nil, shape: "bare"))
        #expect(parsed("{\"access_token\":\"a\",\"token_type\":\"bearer\",\"expires_in\":60,\"refresh_token\":\"r\"}")
                == CommandOutput(token: "a", expiresAt: now + 60, shape: "oauth"))
        #expect(parsed("{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"k\",\"expirationTimestamp\":\"2023-11-14T22:23:20Z\"}}")
                == CommandOutput(token: "k", expiresAt: 1_700_000_600, shape: "exec-credential"))
        #expect(parsed("{\"Version\":1,\"Token\":\"w\",\"Expiration\":\"2023-11-14T22:23:20+00:00\"}")
                == CommandOutput(token: "w", expiresAt: 1_700_000_600, shape: "credential-process"))
        #expect(parsed("{\"access_token\":\"a\"}")?.expiresAt == nil)
    }

    @Test func mistakesAreNamedNeverTheToken() {
        #expect(why("{\"access_token\":\"secret\",\"token_type\":\"mac\"}")?.contains("token_type") == true)
        #expect(why("{\"access_token\":\"secret\",\"expires_in\":\"soon\"}")?.contains("expires_in") == true)
        #expect(why("{\"Version\":2,\"Token\":\"secret\"}")?.contains("Version") == true)
        #expect(why("{\"status\":{\"token\":\"secret\",\"expirationTimestamp\":\"tomorrow\"}}")?.contains("expirationTimestamp") == true)
        #expect(why("{\"something\":\"secret\"}") != nil)
        #expect(why("two words") != nil)
        #expect(why("{not json") != nil)
        for text in ["{\"access_token\":\"secret\",\"token_type\":\"mac\"}", "{\"something\":\"secret\"}"] {
            #expect(why(text)?.contains("secret") == false)
        }
    }

    @Test func documentsReadBack() {
        for format in ["oauth", "exec-credential", "credential-process"] {
            let doc = CommandOutput.document(token: "t", expiresAt: now + 120, format: format, now: now)!
            #expect(parsed(doc.serialized)?.token == "t")
            #expect(parsed(doc.serialized)?.expiresAt == now + 120)
        }
        #expect(CommandOutput.document(token: "t", expiresAt: nil, format: "yaml", now: now) == nil)
    }
}

@Suite struct MachineIdentitySettingsTests {
    func settings(_ json: String) throws(AuthError) -> Settings { try Settings.parse(json: Array(json.utf8)) }

    @Test func theKeys() throws {
        let s = try settings("""
            {"auth_type":"TokenExchange","client_auth_method":"private_key_jwt","private_key_file":"/k.pem",
             "private_key_id":"kid","certificate_file":"/c.pem","client_assertion_audience":"https://idp",
             "subject_token":{"file":"/var/run/secrets/tokens/flyte"},"actor_token":{"github_actions":{"audience":"a"}},
             "subject_token_type":"urn:ietf:params:oauth:token-type:id_token","requested_token_type":"x","resource":"r"}
            """)
        #expect(s.authType == .tokenExchange && s.clientAuthMethod == .privateKeyJWT)
        #expect(s.subjectToken == .file("/var/run/secrets/tokens/flyte") && s.actorToken == .githubActions(audience: "a"))
        #expect(s.privateKeyID == "kid" && s.certificateFile == "/c.pem" && s.resource == "r")
        #expect(try self.settings("{\"client_assertion\":{\"command\":[\"gcloud\",\"auth\"]}}").clientAssertion == .command(["gcloud", "auth"]))
        #expect(try self.settings("{\"client_assertion\":{\"env\":\"TOKEN\"}}").clientAssertion == .env("TOKEN"))
    }

    @Test func contradictionsAreErrors() {
        for (json, words) in [
            ("{\"client_auth_method\":\"private_key_jwt\"}", "private_key_file"),
            ("{\"client_auth_method\":\"tls_client_auth\",\"private_key_file\":\"/k\"}", "certificate_file"),
            ("{\"client_auth_method\":\"private_key_jwt\",\"private_key_file\":\"/k\",\"client_assertion\":{\"env\":\"T\"}}", "both"),
            ("{\"client_auth_method\":\"client_secret_basic\",\"client_assertion\":{\"env\":\"T\"}}", "client_assertion"),
            ("{\"client_auth_method\":\"mtls\"}", "unknown method"),
            ("{\"auth_type\":\"TokenExchange\"}", "subject_token"),
            ("{\"client_assertion\":{\"file\":\"/a\",\"env\":\"B\"}}", "expected one of"),
            ("{\"client_assertion\":{\"command\":[]}}", "non-empty"),
            ("{\"client_assertion\":{\"url\":\"x\"}}", "unknown source"),
        ] {
            let e = failure { () throws(AuthError) in try settings(json) }
            #expect(e?.kind == .config && e?.message.contains(words) == true, "\(json): \(e?.message ?? "no error")")
        }
    }

    @Test func environmentVariables() throws {
        let layer = try FlyteConfig.environmentLayer(["FLYTEAUTH_CLIENT_ASSERTION_FILE": "/t", "FLYTEAUTH_PRIVATE_KEY_FILE": "/k",
                                                      "FLYTEAUTH_SUBJECT_TOKEN_FILE": "/s"])
        #expect(layer["client_assertion"]?.value == .object(["file": .string("/t")]))
        #expect(layer["subject_token"]?.value == .object(["file": .string("/s")]))
        #expect(layer["private_key_file"]?.value == .string("/k"))
    }
}

@Suite struct CredentialBindingTests {
    let request = CredentialBinding.Request(method: "client_secret_basic", clientID: "app", tokenURL: nil, scopes: ["all"], audience: nil)

    @Test func equalInputsEqualTagsAnyChangeAnother() {
        let tag = CredentialBinding.tag(credential: Array("secret".utf8), request: request)
        #expect(tag == CredentialBinding.tag(credential: Array("secret".utf8), request: request))
        #expect(tag != CredentialBinding.tag(credential: Array("secreT".utf8), request: request))
        var other = request
        other.scopes = ["all", "offline"]
        #expect(tag != CredentialBinding.tag(credential: Array("secret".utf8), request: other))
        other = request
        other.audience = "aud"
        #expect(tag != CredentialBinding.tag(credential: Array("secret".utf8), request: other))
        other = request
        other.scopes = nil  // the server's scopes are not the same request as ["all"]
        #expect(tag != CredentialBinding.tag(credential: Array("secret".utf8), request: other))
    }
}

@Suite struct TokenExchangeRequestTests {
    @Test func theFormFields() throws {
        let exchange = TokenExchangeRequest(subjectToken: "sub.jwt", subjectTokenType: nil, actorToken: "act.jwt", actorTokenType: nil,
                                            resource: "https://flyte", audience: "flyte", scopes: ["all"], requestedTokenType: nil)
        let r = TokenRequests.tokenExchange(endpoint: "https://idp/token", clientID: "x", auth: .basic(secret: "s"), exchange: exchange)
        let fields = Dictionary(uniqueKeysWithValues: FormEncoding.decode(Substring(String(decoding: r.body, as: UTF8.self)))!)
        #expect(fields["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange")
        #expect(fields["subject_token"] == "sub.jwt" && fields["subject_token_type"] == TokenExchangeRequest.jwtType)
        #expect(fields["actor_token"] == "act.jwt" && fields["actor_token_type"] == TokenExchangeRequest.jwtType)
        #expect(fields["resource"] == "https://flyte" && fields["audience"] == "flyte" && fields["scope"] == "all")
        #expect(fields["requested_token_type"] == TokenExchangeRequest.accessTokenType)
        #expect(r.headers.contains { $0.name == "Authorization" })
        let public_ = TokenRequests.tokenExchange(endpoint: "https://idp/token", clientID: nil, auth: .none, exchange: exchange)
        #expect(!String(decoding: public_.body, as: UTF8.self).contains("client_id"))
    }
}

/// The error a call threw, or nil.
private func failure<T>(_ body: () throws(AuthError) -> T) -> AuthError? {
    do throws(AuthError) { _ = try body(); return nil } catch { return error }
}

@Suite struct MachineIdentityUnsetAuthTypeTests {
    @Test func aMachinesCredentialChoosesItsFlow() throws {
        func type(_ json: String) throws -> AuthType {
            try AuthType.unset(for: Settings.parse(json: Array(json.utf8)), named: nil)
        }
        #expect(try type("{\"subject_token\":{\"file\":\"/t\"},\"client_secret\":\"s\"}") == .tokenExchange)
        #expect(try type("{\"client_assertion\":{\"env\":\"T\"}}") == .clientSecret)
        #expect(try type("{\"client_auth_method\":\"private_key_jwt\",\"private_key_file\":\"/k\"}") == .clientSecret)
        #expect(try type("{\"client_auth_method\":\"tls_client_auth\",\"private_key_file\":\"/k\",\"certificate_file\":\"/c\"}") == .clientSecret)
        #expect(try type("{}") == .pkce)
    }
}
