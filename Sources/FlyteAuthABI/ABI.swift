// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (the exported functions are named as the C header names them)
import CFlyteAuthHeader
import CSystem
import FlyteAuth
import FlyteAuthCore
import Glibc

// The C ABI: argument checks, handle lifetime, status mapping, string ownership.
// Nothing else lives here: every decision is the engine's.

/// What a `flyteauth_client *` points to.
final class ClientHandle {
    let engine: AuthClient
    init(_ engine: AuthClient) { self.engine = engine }
}

/// A C `user_data` pointer carried into closures; the host owns what it points to.
struct UserData: @unchecked Sendable { let pointer: UnsafeMutableRawPointer? }

// MARK: - Helpers

@inline(__always)
private func succeed() -> flyteauth_status {
    ThreadState.current._withUnsafeGuaranteedRef { $0.clearError() }
    return FLYTEAUTH_OK
}

private func fail(_ e: AuthError) -> flyteauth_status {
    ThreadState.current._withUnsafeGuaranteedRef { $0.setError(e) }
    return flyteauth_status(rawValue: UInt32(e.kind.rawValue))
}

private func fail(_ kind: ErrorKind, _ message: String) -> flyteauth_status {
    fail(AuthError(kind, message))
}

/// A UTF-8 string argument of at most `limit` bytes.
private func string(_ p: UnsafePointer<CChar>?, _ name: String, limit: Int = 1 << 20) throws(AuthError) -> String {
    guard let p else { throw AuthError(.invalidArgument, "\(name) is NULL") }
    let length = strnlen(p, limit + 1)
    guard length <= limit else { throw AuthError(.invalidArgument, "\(name) is longer than \(limit) bytes") }
    guard let s = String(validatingCString: p) else { throw AuthError(.invalidArgument, "\(name) is not valid UTF-8") }
    return s
}

@inline(__always)
private func handle(_ client: OpaquePointer?) -> Unmanaged<ClientHandle>? {
    client.map { Unmanaged<ClientHandle>.fromOpaque(UnsafeRawPointer($0)) }
}

private func duplicate(_ s: String) -> UnsafeMutablePointer<CChar>? { strdup(s) }

private func newClient(
    _ settings: () throws(AuthError) -> Settings,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> flyteauth_status {
    guard let out else { return fail(.invalidArgument, "out is NULL") }
    out.pointee = nil
    do throws(AuthError) {
        let engine = try EngineFactory.makeClient(settings: try settings())
        out.pointee = OpaquePointer(Unmanaged.passRetained(ClientHandle(engine)).toOpaque())
        return succeed()
    } catch {
        return fail(error)
    }
}

// MARK: - Versions and errors

@c(flyteauth_version)
public func flyteauth_version() -> UnsafePointer<CChar> { cString(versionString) }
private let versionString: StaticString = "0.1.0"  // = LibraryVersion.string, checked by the ABI tests

/// Static strings live as long as the library: safe to hand out as `const char *`.
private func cString(_ s: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
}

@c(flyteauth_version_number)
public func flyteauth_version_number() -> UInt32 { LibraryVersion.number }

@c(flyteauth_strerror)
public func flyteauth_strerror(_ status: flyteauth_status) -> UnsafePointer<CChar> {
    let i = Int(status.rawValue)
    return cString(statusTexts[i < statusTexts.count ? i : statusTexts.count - 1])
}
private let statusTexts: [StaticString] = [
    "success", "invalid argument", "configuration error", "network error", "timed out",
    "protocol error", "refused by the identity provider", "login required", "token command failed",
    "cancelled", "token cache error", "not supported by the server", "used after fork()", "internal error",
    "unknown status",
]

@c(flyteauth_error_last)
public func flyteauth_error_last() -> UnsafePointer<flyteauth_error>? {
    ThreadState.current._withUnsafeGuaranteedRef { $0.lastError }
}

@c(flyteauth_string_free)
public func flyteauth_string_free(_ s: UnsafeMutablePointer<CChar>?) {
    guard let s else { return }
    fa_explicit_bzero(s, strlen(s))
    free(s)
}

// MARK: - Clients

@c(flyteauth_client_new)
public func flyteauth_client_new(
    _ settingsJSON: UnsafePointer<CChar>?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> flyteauth_status {
    newClient(
        { () throws(AuthError) in
            let text = try string(settingsJSON, "settings_json")
            return try Settings.parse(json: Array(text.utf8))
        }, out)
}

@c(flyteauth_client_free)
public func flyteauth_client_free(_ client: OpaquePointer?) {
    guard let h = handle(client) else { return }
    // A background refresh may outlive the handle: it must never reach the host's
    // callbacks (or their user_data) after this returns.
    let engine = h.takeUnretainedValue().engine
    engine.interaction.setBrowserOpener(nil)
    engine.interaction.setDevicePrompt(nil)
    engine.logger.setSink(nil, minimum: .warning)
    h.release()
}

@c(flyteauth_client_metadata)
public func flyteauth_client_metadata(
    _ client: OpaquePointer?,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<flyteauth_metadata>?>?
) -> flyteauth_status {
    guard let out else { return fail(.invalidArgument, "out is NULL") }
    out.pointee = nil
    guard let h = handle(client) else { return fail(.invalidArgument, "client is NULL") }
    return h._withUnsafeGuaranteedRef { h in
        ThreadState.current._withUnsafeGuaranteedRef { thread in
            let engine = h.engine
            // The cached path: this thread's copy is current and not yet due for refresh.
            if let block = thread.block(for: engine.id, generation: engine.generation.load(ordering: .acquiring)),
                Clock.coarseNow() < block.softDeadline, !engine.isForked
            {
                guard let md = block.copy() else { return fail(.internal, "out of memory") }
                thread.clearError()
                out.pointee = md
                return FLYTEAUTH_OK
            }
            do throws(AuthError) {
                let snapshot = try engine.headers()
                guard let block = thread.store(snapshot, clientID: engine.id), let md = block.copy() else {
                    return fail(.internal, "out of memory")
                }
                out.pointee = md
                return succeed()
            } catch {
                return fail(error)
            }
        }
    }
}

@c(flyteauth_metadata_free)
public func flyteauth_metadata_free(_ md: UnsafeMutablePointer<flyteauth_metadata>?) {
    guard let md else { return }
    MetadataBlock.free(md)
}

@c(flyteauth_client_token)
public func flyteauth_client_token(
    _ client: OpaquePointer?, _ token: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ expiresAt: UnsafeMutablePointer<Int64>?
) -> flyteauth_status {
    guard let token else { return fail(.invalidArgument, "access_token is NULL") }
    token.pointee = nil
    expiresAt?.pointee = 0
    guard let h = handle(client) else { return fail(.invalidArgument, "client is NULL") }
    do throws(AuthError) {
        let snapshot = try h.takeUnretainedValue().engine.headers()
        guard let copy = duplicate(snapshot.accessToken) else { return fail(.internal, "out of memory") }
        token.pointee = copy
        expiresAt?.pointee = snapshot.expiresAt.map { Int64(saturatingSeconds: $0) } ?? 0
        return succeed()
    } catch {
        return fail(error)
    }
}

@c(flyteauth_client_refresh)
public func flyteauth_client_refresh(
    _ client: OpaquePointer?, _ rejected: UnsafePointer<CChar>?,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<flyteauth_metadata>?>?
) -> flyteauth_status {
    out?.pointee = nil
    guard let h = handle(client) else { return fail(.invalidArgument, "client is NULL") }
    do throws(AuthError) {
        let rejectedToken = try rejected.map { (p) throws(AuthError) in try string(p, "rejected", limit: 64 * 1024) }
        let engine = h.takeUnretainedValue().engine
        let snapshot = try engine.refresh(rejected: rejectedToken)
        if let out {
            let stored = ThreadState.current._withUnsafeGuaranteedRef { $0.store(snapshot, clientID: engine.id) }
            guard let md = stored?.copy() else { return fail(.internal, "out of memory") }
            out.pointee = md
        }
        return succeed()
    } catch {
        return fail(error)
    }
}

@c(flyteauth_client_login)
public func flyteauth_client_login(_ client: OpaquePointer?) -> flyteauth_status {
    guard let h = handle(client) else { return fail(.invalidArgument, "client is NULL") }
    do throws(AuthError) {
        _ = try h.takeUnretainedValue().engine.login()
        return succeed()
    } catch {
        return fail(error)
    }
}

@c(flyteauth_client_logout)
public func flyteauth_client_logout(_ client: OpaquePointer?) -> flyteauth_status {
    guard let h = handle(client) else { return fail(.invalidArgument, "client is NULL") }
    do throws(AuthError) {
        try h.takeUnretainedValue().engine.logout()
        return succeed()
    } catch {
        return fail(error)
    }
}

@c(flyteauth_client_set_token)
public func flyteauth_client_set_token(
    _ client: OpaquePointer?, _ token: UnsafePointer<CChar>?,
    _ expiresAt: Int64
) -> flyteauth_status {
    guard let h = handle(client) else { return fail(.invalidArgument, "client is NULL") }
    do throws(AuthError) {
        let text = try string(token, "access_token", limit: 64 * 1024)
        try h.takeUnretainedValue().engine.setToken(text, expiresAt: expiresAt > 0 ? Double(expiresAt) : nil)
        return succeed()
    } catch {
        return fail(error)
    }
}

@c(flyteauth_client_cancel)
public func flyteauth_client_cancel(_ client: OpaquePointer?) -> flyteauth_status {
    guard let h = handle(client) else { return fail(.invalidArgument, "client is NULL") }
    h.takeUnretainedValue().engine.cancel()
    return succeed()
}

@c(flyteauth_client_status)
public func flyteauth_client_status(
    _ client: OpaquePointer?,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> flyteauth_status {
    guard let out else { return fail(.invalidArgument, "status_json is NULL") }
    out.pointee = nil
    guard let h = handle(client) else { return fail(.invalidArgument, "client is NULL") }
    guard let copy = duplicate(h.takeUnretainedValue().engine.status().serialized) else { return fail(.internal, "out of memory") }
    out.pointee = copy
    return succeed()
}

// MARK: - Callbacks

@c(flyteauth_client_set_browser_callback)
public func flyteauth_client_set_browser_callback(
    _ client: OpaquePointer?, _ fn: flyteauth_browser_fn?,
    _ userData: UnsafeMutableRawPointer?
) -> flyteauth_status {
    guard let h = handle(client) else { return fail(.invalidArgument, "client is NULL") }
    let data = UserData(pointer: userData)
    var opener: Interaction.BrowserOpener?
    if let fn {
        opener = { url in url.withCString { fn(data.pointer, $0) == 0 } }
    }
    h.takeUnretainedValue().engine.interaction.setBrowserOpener(opener)
    return succeed()
}

@c(flyteauth_client_set_device_prompt_callback)
public func flyteauth_client_set_device_prompt_callback(
    _ client: OpaquePointer?, _ fn: flyteauth_device_prompt_fn?,
    _ userData: UnsafeMutableRawPointer?
) -> flyteauth_status {
    guard let h = handle(client) else { return fail(.invalidArgument, "client is NULL") }
    let data = UserData(pointer: userData)
    var prompt: Interaction.DevicePrompt?
    if let fn {
        prompt = { d in
            d.verificationURI.withCString { uri in
                d.userCode.withCString { code in
                    if let complete = d.verificationURIComplete {
                        complete.withCString { fn(data.pointer, uri, $0, code, Int64(saturatingSeconds: d.expiresAt)) }
                    } else {
                        fn(data.pointer, uri, nil, code, Int64(saturatingSeconds: d.expiresAt))
                    }
                }
            }
        }
    }
    h.takeUnretainedValue().engine.interaction.setDevicePrompt(prompt)
    return succeed()
}

@c(flyteauth_client_set_log_callback)
public func flyteauth_client_set_log_callback(
    _ client: OpaquePointer?, _ fn: flyteauth_log_fn?,
    _ userData: UnsafeMutableRawPointer?,
    _ minLevel: flyteauth_log_level
) -> flyteauth_status {
    guard let h = handle(client) else { return fail(.invalidArgument, "client is NULL") }
    guard let level = LogLevel(rawValue: Int32(minLevel.rawValue)) else {
        return fail(.invalidArgument, "min_level \(minLevel.rawValue) is not a flyteauth_log_level")
    }
    let data = UserData(pointer: userData)
    var sink: Logger.Sink?
    if let fn {
        sink = { level, message in
            message.withCString { fn(data.pointer, flyteauth_log_level(rawValue: UInt32(level.rawValue)), $0) }
        }
    }
    h.takeUnretainedValue().engine.logger.setSink(sink, minimum: level)
    return succeed()
}

// MARK: - The user's Flyte configuration

@c(flyteauth_client_new_from_config)
public func flyteauth_client_new_from_config(
    _ path: UnsafePointer<CChar>?, _ overrides: UnsafePointer<CChar>?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> flyteauth_status {
    newClient(
        { () throws(AuthError) in
            let configPath = try path.map { (p) throws(AuthError) in try string(p, "config_path", limit: 4096) }
            let overridesText = try overrides.map { (p) throws(AuthError) in try string(p, "overrides_json") }
            return try EngineFactory.resolveConfig(path: configPath, overridesJSON: overridesText).settings
        }, out)
}

@c(flyteauth_config_resolve)
public func flyteauth_config_resolve(
    _ path: UnsafePointer<CChar>?, _ overrides: UnsafePointer<CChar>?,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> flyteauth_status {
    guard let out else { return fail(.invalidArgument, "resolved_json is NULL") }
    out.pointee = nil
    do throws(AuthError) {
        let configPath = try path.map { (p) throws(AuthError) in try string(p, "config_path", limit: 4096) }
        let overridesText = try overrides.map { (p) throws(AuthError) in try string(p, "overrides_json") }
        let resolved = try EngineFactory.resolveConfig(path: configPath, overridesJSON: overridesText)
        guard let copy = duplicate(resolved.description.serialized) else { return fail(.internal, "out of memory") }
        out.pointee = copy
        return succeed()
    } catch {
        return fail(error)
    }
}
