import CYAML

/// One setting's value and where it came from ("~/.flyte/config.yaml:4", "env FLYTE_PLATFORM_URL").
public struct ConfigValue: Sendable, Equatable {
    public var value: JSONValue
    public var source: String
    public init(_ value: JSONValue, source: String) {
        self.value = value
        self.source = source
    }
}

/// Settings keys (as `Settings` names them) to values, from one source.
public typealias ConfigLayer = [String: ConfigValue]

/// Reads the configuration Flyte users already have, as flytekit does (flyte-auth.md
/// section 6): YAML `admin.*` keys or INI `[platform]` / `[credentials]`, then the
/// `FLYTE_*` environment variables over the file.
public enum FlyteConfig {
    // MARK: - Key tables

    enum Kind { case string, bool, list, duration, negatedBool, endpoint }

    /// YAML path under the root -> (settings key, kind).
    static let yamlKeys: [(String, String, Kind)] = [
        ("admin.endpoint", "endpoint", .endpoint),
        ("admin.insecure", "insecure", .bool),
        ("admin.insecureSkipVerify", "insecure_skip_verify", .bool),
        ("admin.caCertFilePath", "ca_cert_file_path", .string),
        ("admin.httpProxyURL", "http_proxy_url", .string),
        ("admin.authType", "auth_type", .string),
        ("admin.clientId", "client_id", .string),
        ("admin.clientSecretLocation", "client_secret_location", .string),
        ("admin.clientSecretEnvVar", "client_secret_env_var", .string),
        ("admin.scopes", "scopes", .list),
        ("admin.audience", "audience", .string),
        ("admin.command", "command", .list),
        ("admin.proxyCommand", "proxy_command", .list),
        // The Go client's keys.
        ("admin.authorizationHeader", "authorization_header", .string),
        ("admin.tokenUrl", "token_url", .string),
        ("admin.useAudienceFromAdmin", "use_audience_from_admin", .bool),
        ("admin.pkceConfig.timeout", "login_timeout_seconds", .duration),
        ("admin.deviceFlowConfig.timeout", "device_flow_timeout_seconds", .duration),
        // flyte-sdk's.
        ("admin.disableKeyring", "keyring", .negatedBool),
    ]

    /// INI section.option -> (settings key, kind).
    static let iniKeys: [(String, String, Kind)] = [
        ("platform.url", "endpoint", .endpoint),
        ("platform.insecure", "insecure", .bool),
        ("platform.insecure_skip_verify", "insecure_skip_verify", .bool),
        ("platform.ca_cert_file_path", "ca_cert_file_path", .string),
        ("platform.http_proxy_url", "http_proxy_url", .string),
        ("credentials.auth_mode", "auth_type", .string),
        ("credentials.client_id", "client_id", .string),
        ("credentials.client_secret", "client_secret", .string),
        ("credentials.client_secret_location", "client_secret_location", .string),
        ("credentials.client_secret_env_var", "client_secret_env_var", .string),
        ("credentials.scopes", "scopes", .list),
        ("credentials.audience", "audience", .string),
        ("credentials.command", "command", .list),
        ("credentials.proxy_command", "proxy_command", .list),
    ]

    /// flytekit reads `FLYTE_<SECTION>_<OPTION>` for each INI entry; flyte-sdk adds two.
    static var environmentKeys: [(String, String, Kind)] {
        iniKeys.map { ("FLYTE_" + $0.0.uppercased().replacing(".", with: "_"), $0.1, $0.2) } + [
            ("FLYTE_ADMIN_DISABLEKEYRING", "keyring", .negatedBool),
            ("FLYTE_API_KEY", "api_key", .string),
            ("FLYTEAUTH_FILE_CACHE", "file_cache", .bool),
        ]
    }

    /// Every environment variable the configuration reads.
    public static var environmentVariables: [String] { environmentKeys.map(\.0) }

    // MARK: - Environment

    public static func environmentLayer(_ env: [String: String]) throws(AuthError) -> ConfigLayer {
        var layer: ConfigLayer = [:]
        for (name, key, kind) in environmentKeys {
            guard let raw = env[name] else { continue }
            if kind != .bool && kind != .negatedBool && raw.isEmpty { continue }
            let source = "env \(name)"
            layer[key] = ConfigValue(try convert(.string(raw), kind: kind, source: source, commaLists: true), source: source)
        }
        return layer
    }

    // MARK: - INI (flytekit.config, ~/.flyte/config)

    public static func parseINI(_ bytes: [UInt8], path: String) throws(AuthError) -> ConfigLayer {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw AuthError(.config, "\(path): not UTF-8 text")
        }
        var layer: ConfigLayer = [:]
        var section: String?
        var lastKey: (String, Int)?
        let table = Dictionary(iniKeys.map { ($0.0, ($0.1, $0.2)) }, uniquingKeysWith: { a, _ in a })
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = String(rawLine).trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if rawLine.first == " " || rawLine.first == "\t", lastKey != nil {
                continue  // configparser continuation line: not used by the keys we read
            }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else {
                    throw AuthError(.config, "\(path):\(lineNumber): malformed section header \"\(line)\"")
                }
                section = String(line.dropFirst().dropLast()).trimmingSpaces().lowercased()
                lastKey = nil
                continue
            }
            guard let sep = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw AuthError(.config, "\(path):\(lineNumber): expected \"key = value\", found \"\(line.prefix(60))\"")
            }
            guard let section else {
                throw AuthError(.config, "\(path):\(lineNumber): \"\(line.prefix(60))\" comes before any [section]")
            }
            let option = String(line[..<sep]).trimmingSpaces().lowercased()
            let value = String(line[line.index(after: sep)...]).trimmingSpaces()
            lastKey = (option, lineNumber)
            guard let (key, kind) = table[section + "." + option] else { continue }
            let source = "\(path):\(lineNumber)"
            layer[key] = ConfigValue(try convert(.string(value), kind: kind, source: "\(source): [\(section)] \(option)", commaLists: true),
                                     source: source)
        }
        return layer
    }

    // MARK: - YAML (flytectl's config.yaml)

    /// A parsed YAML node with the line it starts on.
    indirect enum Node {
        case scalar(String, line: Int)
        case sequence([Node], line: Int)
        case mapping([(String, Node)], line: Int)

        var line: Int {
            switch self {
            case .scalar(_, let l), .sequence(_, let l), .mapping(_, let l): return l
            }
        }
    }

    public static func parseYAML(_ bytes: [UInt8], path: String) throws(AuthError) -> ConfigLayer {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw AuthError(.config, "\(path): not UTF-8 text")
        }
        guard let root = try loadYAML(bytes, path: path) else { return [:] }
        guard case .mapping(let top, _) = root else {
            throw AuthError(.config, "\(path):\(root.line): expected a mapping at the top level")
        }
        var layer: ConfigLayer = [:]
        for (dotted, key, kind) in yamlKeys {
            guard let node = lookup(root, dotted.split(separator: ".").map(String.init)) else { continue }
            let source = "\(path):\(node.line)"
            layer[key] = ConfigValue(try convert(node, kind: kind, source: "\(source): \(dotted)"), source: source)
        }
        // Our own section: any settings key, strictly checked.
        if let (_, section) = top.first(where: { $0.0 == "flyteauth" }) {
            guard case .mapping(let entries, _) = section else {
                throw AuthError(.config, "\(path):\(section.line): \"flyteauth\" must be a mapping of settings")
            }
            for (name, node) in entries {
                guard Settings.fieldsByKey[name] != nil else {
                    throw AuthError(.config, "\(path):\(node.line): unknown setting \"flyteauth.\(name)\"" + Settings.suggestion(for: name))
                }
                layer[name] = ConfigValue(json(node), source: "\(path):\(node.line)")
            }
        }
        return layer
    }

    static func lookup(_ node: Node, _ path: [String]) -> Node? {
        guard let first = path.first else { return node }
        guard case .mapping(let entries, _) = node, let (_, child) = entries.first(where: { $0.0 == first }) else { return nil }
        return lookup(child, Array(path.dropFirst()))
    }

    /// A node as JSON: YAML 1.1 booleans and numbers in plain scalars become JSON ones.
    static func json(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let s, _):
            if let b = yamlBool(s) { return .bool(b) }
            if let n = Double(s), s.first.map({ $0.isNumber || $0 == "-" }) == true { return .number(n) }
            if s == "~" || s == "null" { return .null }
            return .string(s)
        case .sequence(let items, _): return .array(items.map(json))
        case .mapping(let entries, _): return .object(Dictionary(entries.map { ($0.0, json($0.1)) }, uniquingKeysWith: { _, b in b }))
        }
    }

    static func yamlBool(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "true", "yes", "on", "y": return true
        case "false", "no", "off", "n": return false
        default: return nil
        }
    }

    private static func loadYAML(_ bytes: [UInt8], path: String) throws(AuthError) -> Node? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) != 0 else { throw AuthError(.internal, "libyaml: out of memory") }
        defer { yaml_parser_delete(&parser) }
        var document = yaml_document_t()
        let loaded = bytes.withUnsafeBufferPointer { buffer -> Int32 in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            return yaml_parser_load(&parser, &document)
        }
        guard loaded != 0 else {
            let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
            throw AuthError(.config, "\(path):\(parser.problem_mark.line + 1): YAML: \(problem)")
        }
        defer { yaml_document_delete(&document) }
        guard let root = yaml_document_get_root_node(&document) else { return nil }
        return try node(root, in: &document, path: path, depth: 0)
    }

    private static func node(_ n: UnsafeMutablePointer<yaml_node_t>, in doc: inout yaml_document_t, path: String,
                             depth: Int) throws(AuthError) -> Node {
        let line = Int(n.pointee.start_mark.line) + 1
        guard depth < 64 else { throw AuthError(.config, "\(path):\(line): YAML nested too deeply (or a recursive alias)") }
        switch n.pointee.type {
        case YAML_SCALAR_NODE:
            let buffer = UnsafeBufferPointer(start: UnsafeRawPointer(fa_yaml_scalar_value(n))?.assumingMemoryBound(to: UInt8.self),
                                             count: fa_yaml_scalar_length(n))
            return .scalar(String(decoding: buffer, as: UTF8.self), line: line)
        case YAML_SEQUENCE_NODE:
            var items: [Node] = []
            var item = fa_yaml_seq_start(n)
            while let i = item, i != fa_yaml_seq_top(n) {
                if let child = fa_yaml_node(&doc, i.pointee) { items.append(try node(child, in: &doc, path: path, depth: depth + 1)) }
                item = i + 1
            }
            return .sequence(items, line: line)
        case YAML_MAPPING_NODE:
            var entries: [(String, Node)] = []
            var pair = fa_yaml_map_start(n)
            while let p = pair, p != fa_yaml_map_top(n) {
                if let k = fa_yaml_node(&doc, p.pointee.key), let v = fa_yaml_node(&doc, p.pointee.value),
                   case .scalar(let name, _) = try node(k, in: &doc, path: path, depth: depth + 1) {
                    entries.append((name, try node(v, in: &doc, path: path, depth: depth + 1)))
                }
                pair = p + 1
            }
            return .mapping(entries, line: line)
        default:
            return .scalar("", line: line)
        }
    }

    // MARK: - Conversion

    private static func convert(_ node: Node, kind: Kind, source: String) throws(AuthError) -> JSONValue {
        switch (kind, node) {
        case (.list, .sequence(let items, _)):
            var out: [JSONValue] = []
            for item in items {
                guard case .scalar(let s, _) = item else { throw AuthError(.config, "\(source): expected a list of strings") }
                out.append(.string(s))
            }
            return .array(out)
        case (_, .scalar(let s, _)):
            return try convert(.string(s), kind: kind, source: source, commaLists: false)
        case (.list, _):
            throw AuthError(.config, "\(source): expected a list of strings")
        default:
            throw AuthError(.config, "\(source): expected a single value, found a \(node.isSequence ? "list" : "mapping")")
        }
    }

    private static func convert(_ value: JSONValue, kind: Kind, source: String, commaLists: Bool) throws(AuthError) -> JSONValue {
        guard let s = value.stringValue else { return value }
        switch kind {
        case .string:
            return .string(s)
        case .endpoint:
            // Kept as written: flytectl's keyring username includes any dns:/// prefix;
            // FlyteEndpoint strips it wherever a host is needed.
            return .string(s)
        case .bool:
            return .bool(EnvironmentValue.isTrue(s))
        case .negatedBool:
            return .bool(!EnvironmentValue.isTrue(s))
        case .list:
            if commaLists { return .array(EnvironmentValue.list(s).map(JSONValue.string)) }
            return .array(s.isEmpty ? [] : [.string(s)])
        case .duration:
            guard let seconds = GoDuration.seconds(s) else {
                throw AuthError(.config, "\(source): \"\(s)\" is not a duration (e.g. 2m, 90s, 1h30m)")
            }
            return .number(seconds)
        }
    }
}

extension FlyteConfig.Node {
    var isSequence: Bool { if case .sequence = self { return true }; return false }
}

/// Go's time.ParseDuration for the units configuration files use (h, m, s, ms).
public enum GoDuration {
    public static func seconds(_ text: String) -> Double? {
        let s = text.trimmingSpaces()
        if let plain = Double(s) { return plain }
        var total = 0.0
        var number = ""
        var chars = Array(s)[...]
        guard !chars.isEmpty else { return nil }
        while let c = chars.first {
            if c.isNumber || c == "." {
                number.append(c)
                chars = chars.dropFirst()
                continue
            }
            guard let n = Double(number) else { return nil }
            number = ""
            if chars.starts(with: ["m", "s"]) { total += n / 1000; chars = chars.dropFirst(2) }
            else if c == "h" { total += n * 3600; chars = chars.dropFirst() }
            else if c == "m" { total += n * 60; chars = chars.dropFirst() }
            else if c == "s" { total += n; chars = chars.dropFirst() }
            else { return nil }
        }
        return number.isEmpty ? total : nil
    }
}

/// The layers merged in flytekit's order, with where each value came from.
public struct ResolvedSettings: Sendable {
    public var settings: Settings
    public var sources: [String: ConfigValue]
    public var configFile: String?

    /// file < environment < overrides; flytekit's rule that a client secret from a file
    /// or environment variable forces ClientSecret is applied after the file and
    /// environment, before the overrides. `secretAvailable` tells whether such a secret
    /// resolves to something non-empty.
    public static func merge(file: ConfigLayer, environment: ConfigLayer, overrides: ConfigLayer, configFile: String?,
                             secretAvailable: (Settings) -> Bool) throws(AuthError) -> ResolvedSettings {
        var merged = file
        for (k, v) in environment { merged[k] = v }
        var settings = Settings()
        for key in merged.keys.sorted() {
            let v = merged[key]!
            try settings.apply([key: v.value], source: v.source)
        }
        if settings.clientSecretLocation.nonEmpty != nil || settings.clientSecretEnvVar.nonEmpty != nil, secretAvailable(settings) {
            settings.authType = .clientSecret
            merged["auth_type"] = ConfigValue(.string(AuthType.clientSecret.rawValue),
                                              source: "a client secret file or variable is set (as in flytekit)")
        }
        // FLYTE_API_KEY only applies when the configuration chose no other auth type.
        if merged["api_key"] != nil, let t = merged["auth_type"], AuthType(spelling: t.value.stringValue ?? "") != .apiKey {
            merged["api_key"] = nil
            settings.apiKey = nil
        }
        for key in overrides.keys.sorted() {
            let v = overrides[key]!
            try settings.apply([key: v.value], source: v.source)
            merged[key] = v
        }
        try settings.validate()
        return ResolvedSettings(settings: settings, sources: merged, configFile: configFile)
    }

    /// For display: each key's value (secrets masked) and its source.
    public var description: JSONValue {
        var values: [String: JSONValue] = [:]
        for (key, v) in sources {
            let masked = ["client_secret", "api_key"].contains(key) ? JSONValue.string("********") : v.value
            values[key] = .object(["value": masked, "source": .string(v.source)])
        }
        var o: [String: JSONValue] = ["settings": .object(values), "auth_type": .string(settings.authType.rawValue)]
        o["config_file"] = configFile.map(JSONValue.string) ?? .null
        return .object(o)
    }
}
