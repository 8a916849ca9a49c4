/// What kind of failure an `AuthError` is. Raw values are the C ABI's `flyteauth_status`.
public enum ErrorKind: Int32, Sendable, CaseIterable {
    case invalidArgument = 1
    case config = 2
    case network = 3
    case timeout = 4
    case `protocol` = 5
    case oauth = 6
    case loginRequired = 7
    case command = 8
    case cancelled = 9
    case cache = 10
    case unsupported = 11
    case forked = 12
    case `internal` = 13
}

/// Every failure in libflyteauth. `message` names what failed and never holds a secret.
public struct AuthError: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: ErrorKind
    public var message: String
    /// OAuth2 `error` and `error_description` when the identity provider sent them.
    public var oauthError: String?
    public var oauthErrorDescription: String?
    /// HTTP status of the failing response, or 0.
    public var httpStatus: Int
    /// A system library that could not be loaded: the Debian package that provides it.
    public var missingPackage: String?

    public init(_ kind: ErrorKind, _ message: String, oauthError: String? = nil,
                oauthErrorDescription: String? = nil, httpStatus: Int = 0) {
        self.kind = kind
        // Messages quote servers (descriptions, URLs from discovery): never a control
        // character through to a terminal (ServerText).
        self.message = ServerText.escapingControls(message)
        self.oauthError = oauthError.map { ServerText.clean($0, limit: 100) }
        self.oauthErrorDescription = oauthErrorDescription.map { ServerText.clean($0) }
        self.httpStatus = httpStatus
    }

    public var description: String { message }

    /// A lazily loaded system library is missing: `loadError` is its loader's message
    /// ("libcurl could not be loaded (...); install libcurl4"), which names the package.
    public static func missingLibrary(_ loadError: String, kind: ErrorKind = .internal) -> AuthError {
        var e = AuthError(kind, loadError)
        // No Foundation here: the words after the last "; install ".
        let parts = loadError.split(separator: ";", omittingEmptySubsequences: false)
        if let last = parts.last, last.hasPrefix(" install ") {
            let package = last.dropFirst(" install ".count).prefix { $0 != " " && $0 != ")" }
            if !package.isEmpty { e.missingPackage = String(package) }
        }
        return e
    }

    /// True for failures that say nothing about the credentials themselves (network,
    /// timeouts, 5xx, 429, a 2xx whose body is unusable, a redirect that is never followed): the last good tokens are kept.
    public var isTransient: Bool {
        if httpStatus >= 500 || httpStatus == 429 { return true }
        if oauthError == "temporarily_unavailable" || oauthError == "server_error" { return true }
        switch kind {
        case .network, .timeout: return true
        case .protocol: return httpStatus == 0 || (200..<400).contains(httpStatus)  // a redirect is no answer either
        default: return false
        }
    }

    /// The same error with `context` in front of the message ("discovery: ...").
    public func prefixed(_ context: String) -> AuthError {
        var copy = self
        copy.message = ServerText.escapingControls(context + ": " + message)
        return copy
    }
}
