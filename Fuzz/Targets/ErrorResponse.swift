/// A refused request: the OAuth error body (RFC 6749 5.2) or anything else a server or
/// proxy sends with a 4xx/5xx, including the device flow's polling answers.
func fuzzErrorResponse(_ bytes: [UInt8]) {
    let statuses = [400, 401, 403, 404, 429, 500, 502, 503]
    let status = bytes.first.map { statuses[Int($0) % statuses.count] } ?? 400
    let response = HTTPResponse(status: status, body: Array(bytes.dropFirst()))
    let error = TokenResponse.error(from: response, endpoint: "https://idp.test/token")
    fuzzCheck(!error.message.isEmpty, "an error without a message")
    _ = error.description
    let authorization = DeviceAuthorization(
        deviceCode: "d", userCode: "u", verificationURI: "https://idp.test/device",
        verificationURIComplete: nil, expiresAt: 1_700_000_600, interval: 5)
    var polling = DevicePolling(authorization: authorization, timeout: 600, now: 1_700_000_000)
    if case .wait(let seconds) = polling.next(after: response, endpoint: "https://idp.test/token", now: 1_700_000_001) {
        fuzzCheck(seconds.isFinite && seconds >= 0, "device polling waits \(seconds) s")
    }
}
