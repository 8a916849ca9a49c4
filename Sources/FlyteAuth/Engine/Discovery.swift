import FlyteAuthCore
import Glibc
import Synchronization

/// Asks the Flyte endpoint how to log in (its OAuth2 metadata and public client config),
/// merges the answer with the local settings, and caches the documents in memory and
/// on disk so a new process does not repeat two round trips.
final class Discovery: Sendable {
    typealias Send = (HTTPRequest, CancelToken?) throws(AuthError) -> HTTPResponse

    private let settings: Settings
    private let endpoint: FlyteEndpoint?
    private let cacheFile: String?
    /// The TLS settings the documents are fetched with: a document fetched without
    /// verification (or through another proxy or CA) is never used by a client that
    /// verifies. Part of the file name and recorded in the file.
    private let tlsContext: String
    private let logger: Logger
    private struct Documents: Sendable {
        var metadata: OAuth2Metadata?
        var clientConfig: PublicClientConfig?
        var fromDisk: Bool
    }
    /// Held while fetching, so concurrent first calls fetch once.
    private let documents = Mutex<Documents?>(nil)

    init(settings: Settings, endpoint: FlyteEndpoint?, cacheDirectory: String?, logger: Logger) {
        self.settings = settings
        self.endpoint = endpoint
        self.logger = logger
        tlsContext = Discovery.tlsContext(settings)
        if let endpoint, settings.discoveryCacheTTLSeconds > 0, let dir = cacheDirectory {
            cacheFile = dir + "/" + CacheFileName.make(prefix: "discovery-", key: endpoint.baseURL + " " + tlsContext, suffix: ".json")
        } else {
            cacheFile = nil
        }
    }

    static func tlsContext(_ settings: Settings) -> String {
        let proxy = settings.httpProxyURL.nonEmpty.map { String(CacheFileName.fnv1a64($0), radix: 16) } ?? "none"
        return "verify=\(settings.insecureSkipVerify ? 0 : 1) ca=\(settings.caCertFilePath.nonEmpty ?? "system") proxy=\(proxy)"
    }

    /// The merged parameters; fetches the documents the first time they are needed.
    /// Endpoints the server names must be ones a secret may go to (`SecretDestination`).
    func parameters(send: Send, cancel: CancelToken?) throws(AuthError) -> AuthParameters {
        let p = try mergedParameters(send: send, cancel: cancel)
        guard let base = endpoint?.baseURL else { return p }
        // The endpoints this client's flow uses (whoami checks userinfo where it uses it).
        var named: [(String?, String?, String)] = [(p.tokenEndpoint, settings.tokenURL.nonEmpty, "token_endpoint")]
        if settings.authType == .deviceFlow {
            named.append((p.deviceAuthorizationEndpoint, settings.deviceAuthorizationEndpoint.nonEmpty, "device_authorization_endpoint"))
        }
        if settings.authType == .pkce {
            named.append((p.authorizationEndpoint, settings.authorizationEndpoint.nonEmpty, "authorization_endpoint"))
        }
        for (url, local, what) in named {
            guard let url, local == nil else { continue }
            try SecretDestination.checkNamedByServer(url, what: what, serverBase: base)
        }
        return p
    }

    private func mergedParameters(send: Send, cancel: CancelToken?) throws(AuthError) -> AuthParameters {
        guard AuthParameters.needsDiscovery(settings) else {
            return AuthParameters(settings: settings, metadata: nil, clientConfig: nil)
        }
        let docs = try documents.withLock { (documents) throws(AuthError) -> Documents in
            if let documents { return documents }
            if let cached = readDisk() {
                let d = Documents(metadata: cached.0, clientConfig: cached.1, fromDisk: true)
                documents = d
                return d
            }
            let fetched = try fetch(send: send, cancel: cancel)
            documents = Documents(metadata: fetched.0, clientConfig: fetched.1, fromDisk: false)
            writeDisk(fetched)
            return documents!
        }
        return AuthParameters(settings: settings, metadata: docs.metadata, clientConfig: docs.clientConfig)
    }

    /// Drops cached documents after a failure that may come from stale ones (an
    /// unreachable or missing token endpoint). Returns true when they came from disk.
    @discardableResult
    func invalidate() -> Bool {
        documents.withLock { documents in
            let fromDisk = documents?.fromDisk ?? false
            documents = nil
            if let cacheFile { unlink(cacheFile) }
            return fromDisk
        }
    }

    // MARK: - Fetching

    private func fetch(send: Send, cancel: CancelToken?) throws(AuthError) -> (OAuth2Metadata?, PublicClientConfig?) {
        guard let endpoint else {
            throw AuthError(.config, "no Flyte endpoint is configured: set admin.endpoint in ~/.flyte/config.yaml (or the file "
                            + "FLYTECTL_CONFIG names) or FLYTE_PLATFORM_URL, or pass \"endpoint\" (or \"token_url\") in the settings")
        }
        let metadata = try fetchDocument(
            base: endpoint.baseURL, flyte1: "/.well-known/oauth-authorization-server",
            flyte2: "/flyteidl2.auth.AuthMetadataService/GetOAuth2Metadata", what: "OAuth2 metadata",
            send: send, cancel: cancel, decode: OAuth2Metadata.decode)
        let clientConfig = try fetchDocument(
            base: endpoint.baseURL, flyte1: "/config/v1/flyte_client",
            flyte2: "/flyteidl2.auth.AuthMetadataService/GetPublicClientConfig", what: "public client config",
            send: send, cancel: cancel, decode: PublicClientConfig.decode)
        return (metadata, clientConfig)
    }

    /// Flyte 1's REST path first, then Flyte 2's ConnectRPC path. A network failure or a
    /// bad setting is final (the same host serves both); any other failure tries the next path.
    private func fetchDocument<T>(base: String, flyte1: String, flyte2: String, what: String,
                                  send: Send, cancel: CancelToken?, observe: (DiscoveryStep) -> Void = { _ in },
                                  decode: (JSONValue) throws(AuthError) -> T) throws(AuthError) -> T {
        var get = HTTPRequest(method: .get, url: base + flyte1, headers: [("Accept", "application/json")])
        get.toFlyteEndpoint = true
        var post = HTTPRequest(method: .post, url: base + flyte2,
                               headers: [("Accept", "application/json"), ("Content-Type", "application/json")],
                               body: Array("{}".utf8))
        post.toFlyteEndpoint = true
        var failures: [String] = []
        for request in [get, post] {
            let response: HTTPResponse
            let sentAt = Clock.now()
            func tell(_ response: HTTPResponse?, _ outcome: String) {
                observe(DiscoveryStep(document: what, request: request, response: response, sentAt: sentAt,
                                       receivedAt: Clock.now(), outcome: outcome))
            }
            do {
                response = try send(request, cancel)
            } catch {
                tell(nil, error.message)
                // A bad CA file fails the other path the same way: name it, as is.
                if error.kind == .config || error.missingPackage != nil { throw error }
                if error.kind == .network || error.kind == .timeout || error.kind == .cancelled {
                    throw error.prefixed("discovery of the \(what) from \(base)")
                }
                failures.append(error.message)
                continue
            }
            guard response.isSuccess else {
                tell(response, "HTTP \(response.status)")
                failures.append("\(request.method.rawValue) \(request.url): HTTP \(response.status)")
                continue
            }
            do {
                let value = try decode(try JSONValue.parse(response.body, what: "\(what) from \(request.url)"))
                tell(response, "answered")
                return value
            } catch {
                tell(response, error.message)
                failures.append(error.message)
            }
        }
        throw AuthError(.protocol, "discovery: \(base) serves no \(what) (" + failures.joined(separator: "; ")
                        + "); is this a Flyte endpoint with authentication enabled?")
    }

    /// Both documents fetched afresh (no cache read or written), each request told to
    /// `observe`: what `flyteauth doctor` shows, by the same rules the engine logs in with.
    func probe(send: Send, cancel: CancelToken?, observe: (DiscoveryStep) -> Void)
        -> (metadata: Result<OAuth2Metadata, AuthError>, clientConfig: Result<PublicClientConfig, AuthError>) {
        guard let endpoint else {
            let e = AuthError(.config, "no endpoint is configured")
            return (.failure(e), .failure(e))
        }
        func one<T>(_ what: String, _ flyte1: String, _ flyte2: String,
                    _ decode: (JSONValue) throws(AuthError) -> T) -> Result<T, AuthError> {
            do throws(AuthError) {
                return .success(try fetchDocument(base: endpoint.baseURL, flyte1: flyte1, flyte2: flyte2, what: what,
                                                  send: send, cancel: cancel, observe: observe, decode: decode))
            } catch {
                return .failure(error)
            }
        }
        return (one("OAuth2 metadata", "/.well-known/oauth-authorization-server",
                    "/flyteidl2.auth.AuthMetadataService/GetOAuth2Metadata", OAuth2Metadata.decode),
                one("public client config", "/config/v1/flyte_client",
                    "/flyteidl2.auth.AuthMetadataService/GetPublicClientConfig", PublicClientConfig.decode))
    }

    // MARK: - Disk cache

    private func readDisk() -> (OAuth2Metadata?, PublicClientConfig?)? {
        guard let cacheFile else { return nil }
        let bytes: [UInt8]
        do throws(AuthError) {
            bytes = try FileIO.read(cacheFile, limit: JSONValue.maximumSize, kind: .privateFile, what: "discovery cache")
        } catch {
            var st = stat()
            if lstat(cacheFile, &st) != 0 && errno == ENOENT { return nil }
            logger.warnOnce("discovery-cache", "discovery: \(error.message); the documents are fetched from the server instead")
            return nil
        }
        guard let o = (try? JSONValue.parse(bytes, what: "discovery cache"))?.objectValue,
              o["endpoint"]?.stringValue == endpoint?.baseURL, o["tls"]?.stringValue == tlsContext,
              let fetchedAt = o["fetched_at"]?.numberValue else { return nil }
        let age = Clock.now() - fetchedAt
        guard age > -60, age < settings.discoveryCacheTTLSeconds else { return nil }  // tolerate small clock steps
        let metadata = o["metadata"].flatMap { try? OAuth2Metadata.decode($0) }
        let clientConfig = o["client_config"].flatMap { try? PublicClientConfig.decode($0) }
        logger.log(.debug, "discovery: using documents cached \(Int(age)) s ago in \(cacheFile)")
        return (metadata, clientConfig)
    }

    private func writeDisk(_ docs: (metadata: OAuth2Metadata?, clientConfig: PublicClientConfig?)) {
        guard let cacheFile, let endpoint else { return }
        var o: [String: JSONValue] = ["endpoint": .string(endpoint.baseURL), "tls": .string(tlsContext),
                                      "fetched_at": .number(Clock.now().rounded(.down))]
        o["metadata"] = docs.metadata?.json
        o["client_config"] = docs.clientConfig?.json
        let dir = String(cacheFile[..<cacheFile.lastIndex(of: "/")!])
        guard Paths.makeDirectories(dir) else {
            logger.warnOnce("discovery-cache", "discovery: cannot create \(dir): \(errnoText()); documents are not cached on disk")
            return
        }
        do { try FileIO.writeAtomically(cacheFile, Array(JSONValue.object(o).serialized.utf8)) }
        catch { logger.warnOnce("discovery-cache", "discovery: \(error.message); documents are not cached on disk") }
    }
}

/// One request of a discovery probe and what came of it.
public struct DiscoveryStep: Sendable {
    /// "OAuth2 metadata" or "public client config".
    public let document: String
    public let request: HTTPRequest
    /// Nil when no answer came (the outcome says why).
    public let response: HTTPResponse?
    public let sentAt: Double
    public let receivedAt: Double
    /// "answered", "HTTP 404", or the error.
    public let outcome: String
}
