/// flytekit's INI config (~/.flyte/config, flytekit.config), then merged into settings.
func fuzzConfigINI(_ bytes: [UInt8]) {
    guard let layer = try? FlyteConfig.parseINI(bytes, path: "config") else { return }
    fuzzMerge(layer)
}
