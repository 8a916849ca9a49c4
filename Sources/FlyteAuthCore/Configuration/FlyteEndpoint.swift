/// The Flyte endpoint in the forms the tools need: as written (flytectl's keyring
/// username), without `dns:///` (flytekit's service name), without a scheme
/// (flyte-sdk's), and as an HTTP base URL for discovery.
public struct FlyteEndpoint: Sendable, Equatable {
    /// As configured, trimmed.
    public let configured: String
    /// `dns:///` removed: flytekit's keyring service name.
    public let withoutDNSPrefix: String
    /// Host and port, no scheme, no path: flyte-sdk's keyring service name.
    public let hostAndPort: String
    /// `https://host[:port]` (or `http://` when insecure), no trailing slash.
    public let baseURL: String

    public init(_ raw: String, insecure: Bool) throws(AuthError) {
        let trimmed = raw.trimmingSpaces()
        guard !trimmed.isEmpty else { throw AuthError(.config, "endpoint is empty") }
        guard trimmed.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw AuthError(.config, "endpoint \"\(trimmed)\" contains spaces or characters that are not printable ASCII")
        }
        configured = trimmed
        var rest = Substring(trimmed)
        if rest.hasPrefix("dns:///") { rest = rest.dropFirst(7) }
        withoutDNSPrefix = String(rest)
        var scheme = insecure ? "http" : "https"
        if let range = rest.firstRange(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            guard scheme == "http" || scheme == "https" else {
                throw AuthError(.config, "endpoint \"\(trimmed)\": scheme \"\(scheme)\" is not http or https")
            }
            rest = rest[range.upperBound...]
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty else { throw AuthError(.config, "endpoint \"\(trimmed)\" has no host") }
        hostAndPort = String(authority)
        baseURL = scheme + "://" + authority
    }

    /// Host without port, brackets kept off IPv6 literals.
    public var host: String {
        if hostAndPort.hasPrefix("["), let end = hostAndPort.firstIndex(of: "]") {
            return String(hostAndPort[hostAndPort.index(after: hostAndPort.startIndex)..<end])
        }
        return String(hostAndPort.prefix { $0 != ":" })
    }
}
