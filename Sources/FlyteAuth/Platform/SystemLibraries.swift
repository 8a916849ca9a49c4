import CCrypto
import CCurl
import CMicroHTTPD
import CSecret
import CYAML
import FlyteAuthCore

/// The system libraries loaded on first use (dlopen), for `flyteauth doctor`: which ones
/// load here, which package provides each, and what needs it.
public struct SystemLibrary: Sendable {
    public let name: String
    public let package: String
    /// What needs it, in the user's words.
    public let neededFor: String
    /// nil: it loads. Else the loader's message.
    public let loadError: String?

    /// Loads each one (doctor only: never on a warm path).
    public static func probeAll() -> [SystemLibrary] {
        func probe(_ name: String, _ package: String, _ neededFor: String, _ load: () -> Int32,
                   _ error: () -> UnsafePointer<CChar>?) -> SystemLibrary {
            let failed = load() != 0
            return SystemLibrary(name: name, package: package, neededFor: neededFor,
                                 loadError: failed ? error().map { String(cString: $0) } ?? "\(name) could not be loaded" : nil)
        }
        return [
            probe("libcurl", "libcurl4", "every request to Flyte and the identity provider (discovery, logins, refreshes)",
                  { fa_curl_load() }, { fa_curl_load_error() }),
            probe("libcrypto", "libssl3", "browser (PKCE) logins and signed client assertions",
                  { fa_crypto_load() }, { fa_crypto_load_error() }),
            probe("libmicrohttpd", "libmicrohttpd12", "the browser login's callback on localhost",
                  { fa_mhd_load() }, { fa_mhd_load_error() }),
            probe("libsecret", "libsecret-1-0", "the Secret Service tier (sharing the login with flytekit, flyte-sdk, flytectl)",
                  { fa_secret_load() }, { fa_secret_load_error() }),
            probe("libyaml", "libyaml-0-2", "reading ~/.flyte/config.yaml and FLYTECTL_CONFIG",
                  { fa_yaml_load() }, { fa_yaml_load_error() }),
        ]
    }
}
