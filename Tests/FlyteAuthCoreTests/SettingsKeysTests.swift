import FlyteAuthCore
import Glibc
import Testing

/// The settings keys live in one table (Settings.swift); the header documents each, and
/// the bindings' lists are generated from it (scripts/generate.py, checked by make lint).
@Suite struct SettingsKeysTests {
    /// The checkout: three levels above this file.
    static let root = String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3)
        .joined(separator: "/"))

    static func read(_ path: String) throws -> String {
        guard let f = fopen(root + "/" + path, "r") else { throw AuthError(.config, "cannot open \(path)") }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n == 0 { break }
            bytes += buffer[..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func theHeaderDocumentsEveryKey() throws {
        let header = try SettingsKeysTests.read("include/flyteauth.h")
        for key in Settings.keys {
            #expect(header.contains(" *   \(key) "), "include/flyteauth.h does not document \"\(key)\"")
        }
    }

    @Test(arguments: ["bindings/go/flyteauth/settings_keys.go", "bindings/python/src/flyteauth/_settings_keys.py"])
    func theBindingsListEveryKeyInOrder(_ path: String) throws {
        let text = try SettingsKeysTests.read(path)
        let listed = text.split(separator: "\n").compactMap { line -> String? in
            let t = line.drop { $0 == " " || $0 == "\t" }
            guard t.hasPrefix("\""), t.hasSuffix("\","), t.count > 3 else { return nil }
            return String(t.dropFirst().dropLast(2))
        }
        #expect(listed == Settings.keys, "\(path) is stale: run scripts/generate.py")
    }
}
