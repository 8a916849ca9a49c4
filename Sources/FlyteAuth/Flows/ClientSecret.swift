import FlyteAuthCore

/// Resolves the client secret from the settings: literal, file, or environment variable.
enum ClientSecret {
    static func resolve(_ settings: Settings) throws(AuthError) -> String? {
        if let literal = settings.clientSecret.nonEmpty { return literal }
        if let path = settings.clientSecretLocation.nonEmpty {
            let bytes: [UInt8]
            do { bytes = try FileIO.read(path, limit: 64 * 1024, kind: .userFile, what: "client secret file") }
            catch { throw AuthError(.config, "client_secret_location: \(error.message)") }
            guard var text = String(validating: bytes, as: UTF8.self) else {
                throw AuthError(.config, "client_secret_location: \(path) is not UTF-8 text")
            }
            // Editors and `echo` add a newline the IdP would see as part of the secret (flyte #2480).
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            guard !text.isEmpty else { throw AuthError(.config, "client_secret_location: \(path) is empty") }
            return text
        }
        if let name = settings.clientSecretEnvVar.nonEmpty {
            guard let value = Environment.process[name] else {
                throw AuthError(.config, "client_secret_env_var: the environment variable \(name) is not set or empty")
            }
            return value
        }
        return nil
    }
}
