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
        if let endpoint, settings.discoveryCacheTTLSeconds > 0, let dir = cacheDirectory {
            cacheFile = dir + "/" + CacheFileName.make(prefix: "discovery-", key: endpoint.baseURL, suffix: ".json")
        } else {
            cacheFile = nil
        }
    }

    /// The merged parameters; fetches the documents the first time they are needed.
    func parameters(send: Send, cancel: CancelToken?) throws(AuthError) -> AuthParameters {
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
            throw AuthError(.config, "no endpoint is configured, and the token endpoint is not set either (\"endpoint\" or \"token_url\")")
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
                                  send: Send, cancel: CancelToken?,
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
            do {
                response = try send(request, cancel)
            } catch {
                // A bad CA file fails the other path the same way: name it, as is.
                if error.kind == .config || error.missingPackage != nil { throw error }
                if error.kind == .network || error.kind == .timeout || error.kind == .cancelled {
                    throw error.prefixed("discovery of the \(what) from \(base)")
                }
                failures.append(error.message)
                continue
            }
            guard response.isSuccess else {
                failures.append("\(request.method.rawValue) \(request.url): HTTP \(response.status)")
                continue
            }
            do {
                return try decode(try JSONValue.parse(response.body, what: "\(what) from \(request.url)"))
            } catch {
                failures.append(error.message)
            }
        }
        throw AuthError(.protocol, "discovery: \(base) serves no \(what) (" + failures.joined(separator: "; ")
                        + "); is this a Flyte endpoint with authentication enabled?")
    }

    // MARK: - Disk cache

    private func readDisk() -> (OAuth2Metadata?, PublicClientConfig?)? {
        guard let cacheFile, let bytes = try? FileIO.read(cacheFile, limit: JSONValue.maximumSize),
              let o = (try? JSONValue.parse(bytes, what: "discovery cache"))?.objectValue,
              o["endpoint"]?.stringValue == endpoint?.baseURL,
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
        var o: [String: JSONValue] = ["endpoint": .string(endpoint.baseURL), "fetched_at": .number(Clock.now().rounded(.down))]
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
