/// Every fuzz target by the name FUZZ_TARGET and Fuzz/corpus/<name> use.
enum FuzzTargets {
    static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "settings-json": fuzzSettingsJSON,
        "config-yaml": fuzzConfigYAML,
        "config-ini": fuzzConfigINI,
        "api-key": fuzzAPIKey,
        "token-response": fuzzTokenResponse,
        "error-response": fuzzErrorResponse,
        "device-response": fuzzDeviceResponse,
        "discovery": fuzzDiscovery,
        "jwt": fuzzJWT,
        "keyring-canonical": fuzzKeyringCanonical,
        "keyring-flytekit": fuzzKeyringFlytekit,
        "keyring-flyte-sdk": fuzzKeyringFlyteSDK,
        "keyring-flytectl": fuzzKeyringFlytectl,
        "pkce-callback": fuzzPKCECallback,
        "rfc3339": fuzzRFC3339,
        "go-duration": fuzzGoDuration,
        "command-output": fuzzCommandOutput,
        "credential-source": fuzzCredentialSource,
        "private-key-pem": fuzzPrivateKeyPEM,
        "external-claims": fuzzExternalClaims,
    ]
}
