extension FlyteConfig {
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
            layer[key] = ConfigValue(
                try convert(.string(value), kind: kind, source: "\(source): [\(section)] \(option)", commaLists: true),
                source: source)
        }
        return layer
    }

}
