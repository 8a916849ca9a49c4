/// Where an external token comes from (a federated client assertion, a token-exchange
/// subject): `{"file": path}` (a Kubernetes projected token: re-read on every use),
/// `{"env": name}`, `{"command": [argv]}`, `{"github_actions": {"audience": aud}}`.
public enum CredentialSource: Sendable, Equatable {
    case file(String)
    case env(String)
    case command([String])
    case githubActions(audience: String?)

    public static let spellings = "{\"file\": PATH}, {\"env\": NAME}, {\"command\": [ARGV]} or {\"github_actions\": {\"audience\": AUD}}"

    public static func parse(_ value: JSONValue, context: String) throws(AuthError) -> CredentialSource {
        guard let o = value.objectValue, o.count == 1, let (kind, v) = o.first else {
            throw AuthError(.config, "\(context): expected one of \(spellings)")
        }
        switch kind {
        case "file", "env":
            guard let s = v.stringValue, !s.isEmpty, !s.utf8.contains(0) else {
                throw AuthError(.config, "\(context): \"\(kind)\" must be a non-empty string")
            }
            return kind == "file" ? .file(s) : .env(s)
        case "command":
            guard let items = v.arrayValue, !items.isEmpty else {
                throw AuthError(.config, "\(context): \"command\" must be a non-empty array of strings")
            }
            var argv: [String] = []
            for item in items {
                guard let s = item.stringValue, !s.utf8.contains(0) else {
                    throw AuthError(.config, "\(context): \"command\" must be a non-empty array of strings")
                }
                argv.append(s)
            }
            guard !argv[0].isEmpty else { throw AuthError(.config, "\(context): \"command\" names no program") }
            return .command(argv)
        case "github_actions":
            guard let inner = v.objectValue, inner.keys.allSatisfy({ $0 == "audience" }) else {
                throw AuthError(.config, "\(context): \"github_actions\" must be an object with an optional \"audience\"")
            }
            let audience = inner["audience"]?.stringValue
            if inner["audience"] != nil && audience == nil {
                throw AuthError(.config, "\(context): \"github_actions.audience\" must be a string")
            }
            return .githubActions(audience: audience)
        default:
            throw AuthError(.config, "\(context): unknown source \"\(kind)\"; expected one of \(spellings)")
        }
    }

    /// The settings form, for display and for the cache binding (no token in it).
    public var json: JSONValue {
        switch self {
        case .file(let p): return .object(["file": .string(p)])
        case .env(let n): return .object(["env": .string(n)])
        case .command(let argv): return .object(["command": .array(argv.map(JSONValue.string))])
        case .githubActions(let aud): return .object(["github_actions": .object(aud.map { ["audience": .string($0)] } ?? [:])])
        }
    }

    public var description: String {
        switch self {
        case .file(let p): return "the file \(p)"
        case .env(let n): return "the environment variable \(n)"
        case .command(let argv): return "the command `\(argv.joined(separator: " "))`"
        case .githubActions: return "GitHub Actions' OIDC token"
        }
    }
}
