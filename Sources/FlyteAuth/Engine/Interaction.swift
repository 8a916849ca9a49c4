import FlyteAuthCore

/// How the client reaches the person during a login. The host can replace each part.
public final class Interaction: @unchecked Sendable {
    /// Returns true when it showed or opened the URL.
    public typealias BrowserOpener = @Sendable (String) -> Bool
    public typealias DevicePrompt = @Sendable (DeviceAuthorization) -> Void

    private let lock = ConditionLock()
    private var browser: BrowserOpener?
    private var devicePrompt: DevicePrompt?

    public init() {}

    public func setBrowserOpener(_ opener: BrowserOpener?) { lock.withLock { browser = opener } }
    public func setDevicePrompt(_ prompt: DevicePrompt?) { lock.withLock { devicePrompt = prompt } }

    var browserOpener: BrowserOpener? { lock.withLock { browser } }
    var devicePromptHandler: DevicePrompt? { lock.withLock { devicePrompt } }
}
