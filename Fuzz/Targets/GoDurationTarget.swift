/// Go durations in config files (admin.tokenRefreshWindow, ...), then as the settings
/// validation sees them.
func fuzzGoDuration(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    guard let seconds = GoDuration.seconds(text) else { return }
    _ = Int64(saturatingSeconds: seconds)
    var settings = Settings()
    settings.httpTimeoutSeconds = seconds
    settings.refreshWindowSeconds = seconds
    _ = try? settings.validate()
}
