/// The device authorization answer (RFC 8628 3.2), then the polling schedule it sets.
func fuzzDeviceResponse(_ bytes: [UInt8]) {
    let status = bytes.first.map { $0 < 200 ? 200 : 400 } ?? 200
    let response = HTTPResponse(status: status, body: Array(bytes.dropFirst()))
    guard let a = try? DeviceAuthorization.decode(response, endpoint: "https://idp.test/device", now: 1_700_000_000) else { return }
    _ = a.preferredURI
    fuzzCheck(a.interval > 0 && a.interval.isFinite, "device polling interval \(a.interval)")
    var polling = DevicePolling(authorization: a, timeout: 600, now: 1_700_000_000)
    let pending = HTTPResponse(status: 400, body: Array(#"{"error":"authorization_pending"}"#.utf8))
    if case .wait(let seconds) = polling.next(after: pending, endpoint: "https://idp.test/token", now: 1_700_000_001) {
        fuzzCheck(seconds.isFinite && seconds >= 0, "device polling waits \(seconds) s")
    }
}
