/// flytectl's config.yaml through libyaml (C) and our node conversion, then merged into
/// settings as a user's file would be.
func fuzzConfigYAML(_ bytes: [UInt8]) {
    guard let layer = try? FlyteConfig.parseYAML(bytes, path: "config.yaml") else { return }
    fuzzMerge(layer)
}

/// A file layer merged under empty environment and overrides, as the engine does.
func fuzzMerge(_ layer: ConfigLayer) {
    guard
        let resolved = try? ResolvedSettings.merge(
            file: layer, environment: [:], overrides: [:],
            configFile: "config", secretAvailable: { _ in true })
    else { return }
    _ = resolved.description.serialized
    fuzzDerived(resolved.settings)
}
