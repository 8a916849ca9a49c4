import CCurl
import FlyteAuthCore
import Glibc

/// HTTP over libcurl: TLS, CA bundle, proxies and timeouts from the settings apply to
/// every request, to the Flyte endpoint and to the identity provider alike.
public struct CurlTransport: HTTPTransport, TimedTransport {
    public var timeout: Double
    public var connectTimeout: Double
    public var caFile: String?
    public var skipVerify: Bool
    public var proxy: String?
    /// A TLS client certificate and its key (PEM files): RFC 8705 client authentication
    /// at the IdP, and mTLS ingresses in front of Flyte.
    public var clientCertificate: String?
    public var clientKey: String?
    /// Responses larger than this are refused (a token answer is a few KB).
    public var maximumResponseSize = JSONValue.maximumSize

    public init(settings: Settings) {
        timeout = settings.httpTimeoutSeconds
        connectTimeout = min(settings.connectTimeoutSeconds, settings.httpTimeoutSeconds)
        caFile = settings.caCertFilePath.nonEmpty
        skipVerify = settings.insecureSkipVerify
        proxy = settings.httpProxyURL.nonEmpty
        if let (certificate, key) = CurlTransport.clientCertificate(settings) {
            clientCertificate = certificate
            clientKey = key
        }
    }

    /// The certificate and key presented on TLS connections: both files set, unless they
    /// serve a signed assertion (private_key_jwt, where the certificate only names the key).
    public static func clientCertificate(_ settings: Settings) -> (String, String)? {
        guard let certificate = settings.certificateFile.nonEmpty, let key = settings.privateKeyFile.nonEmpty,
              settings.clientAuthMethod != .privateKeyJWT else { return nil }
        return (certificate, key)
    }

    public func send(_ request: HTTPRequest, cancel: CancelToken?) throws(AuthError) -> HTTPResponse {
        try send(request, cancel: cancel, timeout: min(request.timeout ?? timeout, timeout))
    }

    /// One request, no retries, taking at most `timeout` seconds.
    public func send(_ request: HTTPRequest, cancel: CancelToken?, timeout: Double) throws(AuthError) -> HTTPResponse {
        if let why = fa_curl_load_error() { throw AuthError.missingLibrary(String(cString: why)) }
        if request.carriesCredentials { try SecretDestination.check(request.url, what: "endpoint") }
        if let caFile, request.url.lowercased().hasPrefix("https:") {
            // The CA file decides whom every secret goes to: the same trust as a config file.
            guard access(caFile, R_OK) == 0, let fd = try FileTrust.openForReading(caFile, kind: .userFile, what: "CA file (ca_cert_file_path)") else {
                throw AuthError(.config, "ca_cert_file_path \"\(caFile)\" cannot be read: \(errnoText())")
            }
            close(fd)
        }
        guard let handle = fa_curl_easy_init() else { throw AuthError(.internal, "curl_easy_init failed") }
        defer { fa_curl_easy_cleanup(handle) }
        let sink = ResponseSink(limit: maximumResponseSize, cancel: cancel)
        let sinkPointer = Unmanaged.passRetained(sink)
        defer { sinkPointer.release() }
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { fa_curl_slist_free_all(headerList) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }

        fa_curl_setopt_string(handle, CURLOPT_URL, request.url)
        fa_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)  // threads: no SIGALRM for DNS timeouts
        fa_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        fa_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        fa_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, CurlTransport.milliseconds(timeout))
        fa_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, CurlTransport.milliseconds(min(connectTimeout, timeout)))
        fa_curl_setopt_string(handle, CURLOPT_USERAGENT, "libflyteauth/\(LibraryVersion.string)")
        fa_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        if let caFile { fa_curl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
        if skipVerify {
            fa_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
            fa_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let proxy { fa_curl_setopt_string(handle, CURLOPT_PROXY, proxy) }
        if let clientCertificate, let clientKey, request.url.lowercased().hasPrefix("https:") {
            for (setting, path) in [("certificate_file", clientCertificate), ("private_key_file", clientKey)] where access(path, R_OK) != 0 {
                throw AuthError(.config, "\(setting) \"\(path)\" cannot be read: \(errnoText())")
            }
            fa_curl_setopt_string(handle, CURLOPT_SSLCERT, clientCertificate)
            fa_curl_setopt_string(handle, CURLOPT_SSLCERTTYPE, "PEM")
            fa_curl_setopt_string(handle, CURLOPT_SSLKEY, clientKey)
            fa_curl_setopt_string(handle, CURLOPT_SSLKEYTYPE, "PEM")
        }
        for header in request.headers {
            headerList = fa_curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        // curl adds "Expect: 100-continue" to larger POSTs: a needless round trip.
        headerList = fa_curl_slist_append(headerList, "Expect:")
        fa_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
        if request.method == .post {
            fa_curl_setopt_long(handle, CURLOPT_POST, 1)
            fa_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            _ = request.body.withUnsafeBufferPointer { body in
                // COPYPOSTFIELDS copies, so the buffer need not outlive this call.
                body.baseAddress!.withMemoryRebound(to: CChar.self, capacity: body.count) {
                    fa_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0))
                }
            }
        }
        let context = sinkPointer.toOpaque()
        fa_curl_setopt_write_function(handle, { data, size, count, user in
            let sink = Unmanaged<ResponseSink>.fromOpaque(user!).takeUnretainedValue()
            return sink.append(data!, size * count) ? size * count : 0
        })
        fa_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        fa_curl_setopt_header_function(handle, { data, size, count, user in
            let sink = Unmanaged<ResponseSink>.fromOpaque(user!).takeUnretainedValue()
            return sink.header(data!, size * count) ? size * count : 0
        })
        fa_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
        if cancel != nil {
            fa_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
            fa_curl_setopt_progress_function(handle, { user, _, _, _, _ in
                Unmanaged<ResponseSink>.fromOpaque(user!).takeUnretainedValue().cancel?.isCancelled == true ? 1 : 0
            })
            fa_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context)
        }

        let code = fa_curl_easy_perform(handle)
        let target = CurlTransport.describe(request.url)
        guard code == CURLE_OK else {
            let detail = Optional(String(cString: errorBuffer).trimmingSpaces()).nonEmpty ?? String(cString: fa_curl_easy_strerror(code))
            switch code {
            case CURLE_OPERATION_TIMEDOUT:
                throw AuthError(.timeout, "\(request.method.rawValue) \(target): no answer within \(CurlTransport.seconds(timeout)) (\(detail))")
            case CURLE_WRITE_ERROR where sink.overflowed:
                throw AuthError(.protocol, "\(request.method.rawValue) \(target): response larger than \(maximumResponseSize) bytes")
            case CURLE_WRITE_ERROR where sink.headersOverflowed:
                throw AuthError(.protocol, "\(request.method.rawValue) \(target): response headers larger than \(ResponseSink.headerLimit) bytes (or never ending)")
            case CURLE_OUT_OF_MEMORY where !sink.sawBody:
                // curl 7.x reports a header line over its 100 KB limit as "Out of memory".
                throw AuthError(.protocol, "\(request.method.rawValue) \(target): response headers too large (a header line over curl's 100 KB limit) or never ending")
            case CURLE_SSL_CERTPROBLEM where clientCertificate != nil:
                throw AuthError(.config, "certificate_file \"\(clientCertificate ?? "")\" or private_key_file \"\(clientKey ?? "")\" cannot be used as the TLS client certificate (\(detail))")
            case CURLE_SSL_CACERT_BADFILE:
                throw AuthError(.config, "ca_cert_file_path \"\(caFile ?? "")\" holds no usable CA certificates (\(detail))")
            case CURLE_ABORTED_BY_CALLBACK:
                throw AuthError(.cancelled, "\(request.method.rawValue) \(target): cancelled")
            case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
                throw AuthError(.config, "\(target) is not a usable http(s) URL (\(detail))")
            default:
                throw AuthError(.network, "\(request.method.rawValue) \(target) failed: \(detail)")
            }
        }
        var status = 0
        fa_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }

    /// The URL without its query (which may carry a state or code) for messages.
    static func describe(_ url: String) -> String {
        String(url.prefix { $0 != "?" && $0 != "#" })
    }

    /// A deadline for curl in whole milliseconds, rounded up and at least 1: curl reads
    /// 0 as "no timeout", so truncating 0.0004 s would turn a deadline into none.
    static func milliseconds(_ s: Double) -> Int {
        guard s.isFinite else { return Int(Settings.maximumDurationSeconds * 1000) }
        return Int(min(max(1, (s * 1000).rounded(.up)), Settings.maximumDurationSeconds * 1000))
    }

    /// "2 s", "0.5 s": to a tenth (a deadline's remainder is 1.99999 s, not worth saying).
    static func seconds(_ s: Double) -> String {
        let tenths = (s * 10).rounded() / 10
        if tenths == 0 && s > 0 { return "\(Int((s * 1000).rounded(.up))) ms" }
        return tenths == tenths.rounded() ? "\(Int(tenths)) s" : "\(tenths) s"
    }
}

private final class ResponseSink {
    let limit: Int
    let cancel: CancelToken?
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    var overflowed = false
    var headersOverflowed = false
    var sawBody = false
    private var headerBytes = 0
    /// Token, error and discovery answers carry a few hundred bytes of headers.
    static let headerLimit = 64 * 1024

    init(limit: Int, cancel: CancelToken?) {
        self.limit = limit
        self.cancel = cancel
    }

    func append(_ data: UnsafeMutablePointer<CChar>, _ count: Int) -> Bool {
        sawBody = true
        if body.count + count > limit { overflowed = true; return false }
        data.withMemoryRebound(to: UInt8.self, capacity: count) {
            body.append(contentsOf: UnsafeBufferPointer(start: $0, count: count))
        }
        return true
    }

    func header(_ data: UnsafeMutablePointer<CChar>, _ count: Int) -> Bool {
        headerBytes += count
        if headerBytes > ResponseSink.headerLimit { headersOverflowed = true; return false }
        let line = data.withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
        if line.hasPrefix("HTTP/") { headers = [:]; return true }  // a new response (after 100-continue)
        guard let colon = line.firstIndex(of: ":") else { return true }
        headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimmingSpaces()
        return true
    }
}
