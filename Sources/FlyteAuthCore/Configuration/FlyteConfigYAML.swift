import CYAML

extension FlyteConfig {
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
        // libyaml is loaded here, when a YAML file is actually parsed.
        guard fa_yaml_load() == 0 else { throw AuthError.missingLibrary(String(cString: fa_yaml_load_error()), kind: .config).prefixed(path) }
        var parser = yaml_parser_t()
        guard fa_yaml_parser_initialize(&parser) != 0 else { throw AuthError(.internal, "libyaml: out of memory") }
        defer { fa_yaml_parser_delete(&parser) }
        var document = yaml_document_t()
        let loaded = bytes.withUnsafeBufferPointer { buffer -> Int32 in
            fa_yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            return fa_yaml_parser_load(&parser, &document)
        }
        guard loaded != 0 else {
            let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
            throw AuthError(.config, "\(path):\(parser.problem_mark.line + 1): YAML: \(problem)")
        }
        defer { fa_yaml_document_delete(&document) }
        guard let root = fa_yaml_document_get_root_node(&document) else { return nil }
        var budget = maximumNodes
        return try node(root, in: &document, path: path, depth: 0, budget: &budget)
    }

    /// Nodes a document may expand to. Aliases are shared in libyaml's tree but copied
    /// here, so a few hundred bytes of nested aliases ("billion laughs") would otherwise
    /// expand exponentially and hang the caller.
    static let maximumNodes = 100_000

    private static func node(
        _ n: UnsafeMutablePointer<yaml_node_t>, in doc: inout yaml_document_t, path: String,
        depth: Int, budget: inout Int
    ) throws(AuthError) -> Node {
        let line = Int(n.pointee.start_mark.line) + 1
        guard depth < 64 else { throw AuthError(.config, "\(path):\(line): YAML nested too deeply (or a recursive alias)") }
        budget -= 1
        guard budget >= 0 else {
            throw AuthError(.config, "\(path):\(line): YAML expands to more than \(maximumNodes) nodes (aliases repeated inside aliases)")
        }
        switch n.pointee.type {
        case YAML_SCALAR_NODE:
            let buffer = UnsafeBufferPointer(
                start: UnsafeRawPointer(fa_yaml_scalar_value(n))?.assumingMemoryBound(to: UInt8.self),
                count: fa_yaml_scalar_length(n))
            return .scalar(String(decoding: buffer, as: UTF8.self), line: line)
        case YAML_SEQUENCE_NODE:
            var items: [Node] = []
            var item = fa_yaml_seq_start(n)
            while let i = item, i != fa_yaml_seq_top(n) {
                if let child = fa_yaml_node(&doc, i.pointee) {
                    items.append(try node(child, in: &doc, path: path, depth: depth + 1, budget: &budget))
                }
                item = i + 1
            }
            return .sequence(items, line: line)
        case YAML_MAPPING_NODE:
            var entries: [(String, Node)] = []
            var pair = fa_yaml_map_start(n)
            while let p = pair, p != fa_yaml_map_top(n) {
                if let k = fa_yaml_node(&doc, p.pointee.key), let v = fa_yaml_node(&doc, p.pointee.value),
                    case .scalar(let name, _) = try node(k, in: &doc, path: path, depth: depth + 1, budget: &budget)
                {
                    entries.append((name, try node(v, in: &doc, path: path, depth: depth + 1, budget: &budget)))
                }
                pair = p + 1
            }
            return .mapping(entries, line: line)
        default:
            return .scalar("", line: line)
        }
    }

}
