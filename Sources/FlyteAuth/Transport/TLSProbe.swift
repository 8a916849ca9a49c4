import CCurl
import FlyteAuthCore
import Glibc

/// One TLS handshake with the settings' CA and verification choices, for
/// `flyteauth doctor`: whether it verifies, why not, the chain the server sent, the
/// CA bundle in use. Nothing is sent but a HEAD request.
public enum TLSProbe {
    public struct Certificate: Sendable {
        public var subject: String
        public var issuer: String
        /// Epoch seconds, when the "Expire date" could be read.
        public var expiresAt: Double?
        public var expireText: String
    }

    public struct Report: Sendable {
        /// nil when the chain verified and the host name matched.
        public var verifyError: String?
        public var chain: [Certificate]
        /// The CA bundle curl used: the configured one, else libcurl's default.
        public var caFile: String?
        public var caPath: String?
    }

    /// Verifies as every request does; when that fails, looks again without verifying
    /// to show the chain. Throws only when no handshake could be made at all.
    public static func probe(baseURL: String, settings: Settings) throws(AuthError) -> Report {
        let verified = try handshake(baseURL, settings: settings, verify: !settings.insecureSkipVerify)
        if verified.error == nil || !verified.tlsFailure { return verified.report }
        var shown = try handshake(baseURL, settings: settings, verify: false).report
        shown.verifyError = verified.report.verifyError
        return shown
    }

    private static func handshake(_ url: String, settings: Settings, verify: Bool) throws(AuthError)
        -> (report: Report, error: CURLcode?, tlsFailure: Bool) {
        if let why = fa_curl_load_error() { throw AuthError.missingLibrary(String(cString: why)) }
        guard let h = fa_curl_easy_init() else { throw AuthError(.internal, "curl_easy_init failed") }
        defer { fa_curl_easy_cleanup(h) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        fa_curl_setopt_string(h, CURLOPT_URL, url + "/")
        fa_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        fa_curl_setopt_long(h, CURLOPT_NOBODY, 1)
        fa_curl_setopt_long(h, CURLOPT_CERTINFO, 1)
        fa_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(settings.httpTimeoutSeconds * 1000))
        fa_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(min(settings.connectTimeoutSeconds, settings.httpTimeoutSeconds) * 1000))
        fa_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, errorBuffer)
        if let ca = settings.caCertFilePath.nonEmpty { fa_curl_setopt_string(h, CURLOPT_CAINFO, ca) }
        if let proxy = settings.httpProxyURL.nonEmpty { fa_curl_setopt_string(h, CURLOPT_PROXY, proxy) }
        if !verify {
            fa_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 0)
            fa_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 0)
        }
        let code = fa_curl_easy_perform(h)
        var report = Report(verifyError: nil, chain: [], caFile: settings.caCertFilePath.nonEmpty, caPath: nil)
        var pointer: UnsafeMutableRawPointer?
        if report.caFile == nil, fa_curl_getinfo_pointer(h, CURLINFO_CAINFO, &pointer) == CURLE_OK, let p = pointer {
            report.caFile = String(cString: p.assumingMemoryBound(to: CChar.self))
        }
        pointer = nil
        if fa_curl_getinfo_pointer(h, CURLINFO_CAPATH, &pointer) == CURLE_OK, let p = pointer {
            report.caPath = String(cString: p.assumingMemoryBound(to: CChar.self))
        }
        pointer = nil
        if fa_curl_getinfo_pointer(h, CURLINFO_CERTINFO, &pointer) == CURLE_OK, let p = pointer {
            let info = p.assumingMemoryBound(to: curl_certinfo.self).pointee
            for i in 0..<Int(info.num_of_certs) {
                var fields: [String: String] = [:]
                var node = info.certinfo[i]
                while let n = node {
                    let line = String(cString: n.pointee.data)
                    if let colon = line.firstIndex(of: ":") { fields[String(line[..<colon])] = String(line[line.index(after: colon)...]) }
                    node = n.pointee.next
                }
                let expire = fields["Expire date"] ?? ""
                report.chain.append(Certificate(subject: fields["Subject"] ?? "?", issuer: fields["Issuer"] ?? "?",
                                                expiresAt: parseASN1Time(expire), expireText: expire))
            }
        }
        guard code != CURLE_OK else { return (report, nil, false) }
        let detail = Optional(String(cString: errorBuffer)).nonEmpty ?? String(cString: fa_curl_easy_strerror(code))
        let tls: Set<UInt32> = [CURLE_PEER_FAILED_VERIFICATION.rawValue, CURLE_SSL_CONNECT_ERROR.rawValue,
                                CURLE_SSL_CACERT_BADFILE.rawValue, CURLE_SSL_CERTPROBLEM.rawValue]
        if tls.contains(code.rawValue) {
            report.verifyError = detail
            return (report, code, true)
        }
        throw AuthError(code == CURLE_OPERATION_TIMEDOUT ? .timeout : .network, "TLS handshake with \(url) failed: \(detail)")
    }

    /// OpenSSL's "Jan  2 03:04:05 2027 GMT" (curl's certinfo, OpenSSL builds).
    static func parseASN1Time(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        guard parts.count >= 4 else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let month = months.firstIndex(of: String(parts[0])), let day = Int(parts[1]), let year = Int(parts[3]) else { return nil }
        let hms = parts[2].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3 else { return nil }
        return RFC3339.parse(String(year) + "-" + two(month + 1) + "-" + two(day) + "T" + two(hms[0]) + ":" + two(hms[1]) + ":" + two(hms[2]) + "Z")
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
