import FlyteAuthCore
import Glibc

/// Finds and reads the user's Flyte configuration (the I/O half of `FlyteConfig`).
public enum ConfigLoader {
    /// flytekit's search order: $FLYTECTL_CONFIG, ./flytekit.config, ~/.flyte/config,
    /// ~/.flyte/config.yaml. Returns nil when there is none.
    public static func findConfigFile() -> String? {
        var candidates: [String] = []
        let environment = Environment.process
        if let p = environment["_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE"] ?? environment["FLYTECTL_CONFIG"] { candidates.append(p) }
        candidates.append("flytekit.config")
        if let home = environment.home { candidates += [home + "/.flyte/config", home + "/.flyte/config.yaml"] }
        return candidates.first { access($0, R_OK) == 0 }
    }

    public static func resolve(path: String?, overridesJSON: String?) throws(AuthError) -> ResolvedConfig {
        let file = path ?? findConfigFile()
        var fileLayer: ConfigLayer = [:]
        if let file {
            let bytes = try FileIO.read(file, kind: .userFile, what: "configuration file")
            let lower = file.lowercased()
            fileLayer = lower.hasSuffix("yaml") || lower.hasSuffix("yml")
                ? try FlyteConfig.parseYAML(bytes, path: file) : try FlyteConfig.parseINI(bytes, path: file)
        }
        var env: [String: String] = [:]
        for name in FlyteConfig.environmentVariables {
            if let value = Environment.process.raw(name) { env[name] = value }
        }
        let environmentLayer = try FlyteConfig.environmentLayer(env)
        var overrides: ConfigLayer = [:]
        if let overridesJSON {
            let value: JSONValue
            do { value = try JSONValue.parse(Array(overridesJSON.utf8), what: "overrides") } catch { throw AuthError(.config, error.message) }
            guard let o = value.objectValue else { throw AuthError(.config, "overrides: expected a JSON object") }
            for (k, v) in o { overrides[k] = ConfigValue(v, source: "overrides") }
        }
        let resolved = try ResolvedSettings.merge(file: fileLayer, environment: environmentLayer, overrides: overrides,
                                                  configFile: file, secretAvailable: { s in (try? ClientSecret.resolve(s)) != nil })
        return ResolvedConfig(settings: resolved.settings, description: resolved.description)
    }
}
