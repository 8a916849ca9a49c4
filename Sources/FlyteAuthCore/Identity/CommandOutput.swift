/// What a token command printed: a bare token (its JWT `exp`, if any, is its expiry), or a
/// JSON document with an expiry, in one of three shapes:
/// - an OAuth 2.0 token response (RFC 6749 5.1): `access_token`, `token_type`, `expires_in`;
/// - kubectl's ExecCredential: `status.token`, `status.expirationTimestamp` (RFC 3339);
/// - AWS `credential_process` style: `Version` 1, `Token` (or `AccessToken`), `Expiration`.
public struct CommandOutput: Sendable, Equatable {
    public var token: String
    /// UTC seconds; nil when neither the document nor the token says.
    public var expiresAt: Double?
    /// Which shape it was: "bare", "oauth", "exec-credential", "credential-process".
    public var shape: String

    public init(token: String, expiresAt: Double?, shape: String) {
        self.token = token
        self.expiresAt = expiresAt
        self.shape = shape
    }

    public enum Failure: Error, Equatable {
        case empty
        /// The message says what is wrong; never the token.
        case invalid(String)
    }

    /// `now` turns `expires_in` into a time.
    public static func parse(_ bytes: [UInt8], now: Double) -> Result<CommandOutput, Failure> {
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(.invalid("its output is not UTF-8 text")) }
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else { return .failure(.empty) }
        guard trimmed.hasPrefix("{") else {
            guard HTTPHeaderName.isSafeValue(trimmed), !trimmed.contains(" ") else {
                return .failure(.invalid("it printed more than one line or word; expected just the token or a JSON document"))
            }
            return .success(CommandOutput(token: trimmed, expiresAt: JWT.expiry(of: trimmed).map { min($0, now + longestLifetime) },
                                          shape: "bare"))
        }
        guard let document = try? JSONValue.parse(Array(trimmed.utf8), what: "command output"), let o = document.objectValue else {
            return .failure(.invalid("it printed something that starts like JSON but is not a JSON object"))
        }
        let token: String?
        var expiresAt: Double?
        let shape: String
        if let status = o["status"]?.objectValue ?? (o["kind"]?.stringValue == "ExecCredential" ? [:] : nil) {
            shape = "exec-credential"
            token = status["token"]?.stringValue
            if let t = status["expirationTimestamp"] {
                guard let s = t.stringValue, let v = RFC3339.parse(s) else {
                    return .failure(.invalid("status.expirationTimestamp is not an RFC 3339 time"))
                }
                expiresAt = v
            }
        } else if o["access_token"] != nil {
            shape = "oauth"
            token = o["access_token"]?.stringValue
            if let type = o["token_type"], type.stringValue?.lowercased() != "bearer" {
                return .failure(.invalid("token_type is \(type.stringValue.map { "\"\($0)\"" } ?? "not a string"), not Bearer"))
            }
            if let e = o["expires_in"] {
                guard let n = e.numberValue ?? e.stringValue.flatMap(Double.init), n.isFinite, n >= 0, n < 1e9 else {
                    return .failure(.invalid("expires_in is not a number of seconds"))
                }
                expiresAt = now + n
            }
        } else if o["Version"] != nil {
            shape = "credential-process"
            guard o["Version"]?.numberValue == 1 else { return .failure(.invalid("Version is not 1")) }
            token = o["Token"]?.stringValue ?? o["AccessToken"]?.stringValue
            if let t = o["Expiration"] {
                guard let s = t.stringValue, let v = RFC3339.parse(s) else {
                    return .failure(.invalid("Expiration is not an ISO 8601 / RFC 3339 time"))
                }
                expiresAt = v
            }
        } else {
            return .failure(.invalid("the JSON document is none of: an OAuth token response (access_token), an ExecCredential (status.token), a credential_process document (Version, Token)"))
        }
        guard let token, !token.isEmpty, HTTPHeaderName.isSafeValue(token), !token.contains(" ") else {
            return .failure(.invalid("the \(shape) document has no usable token"))
        }
        // A far-future expiry (year 9292) is a typo or "never": ten years at most.
        let expiry = (expiresAt ?? JWT.expiry(of: token)).map { min($0, now + CommandOutput.longestLifetime) }
        return .success(CommandOutput(token: token, expiresAt: expiry, shape: shape))
    }

    public static let longestLifetime: Double = 10 * 365 * 86_400

    /// The document `flyteauth token --format` prints, so one tool can feed another.
    public static func document(token: String, expiresAt: Double?, format: String, now: Double) -> JSONValue? {
        switch format {
        case "oauth":
            var o: [String: JSONValue] = ["access_token": .string(token), "token_type": .string("Bearer")]
            if let e = expiresAt { o["expires_in"] = .number(max(0, (e - now).rounded(.down))) }
            return .object(o)
        case "exec-credential":
            var status: [String: JSONValue] = ["token": .string(token)]
            if let e = expiresAt { status["expirationTimestamp"] = .string(RFC3339.format(e)) }
            return .object(["apiVersion": .string("client.authentication.k8s.io/v1"), "kind": .string("ExecCredential"),
                            "status": .object(status)])
        case "credential-process":
            var o: [String: JSONValue] = ["Version": .number(1), "Token": .string(token)]
            if let e = expiresAt { o["Expiration"] = .string(RFC3339.format(e)) }
            return .object(o)
        default:
            return nil
        }
    }
}
