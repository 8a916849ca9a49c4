import FlyteAuthCore
import Synchronization

/// How the client reaches the person during a login. The host can replace each part.
public final class Interaction: Sendable {
    /// Returns true when it showed or opened the URL.
    public typealias BrowserOpener = @Sendable (String) -> Bool
    public typealias DevicePrompt = @Sendable (DeviceAuthorization) -> Void

    private let browser = Mutex<BrowserOpener?>(nil)
    private let devicePrompt = Mutex<DevicePrompt?>(nil)

    public init() {}

    public func setBrowserOpener(_ opener: BrowserOpener?) { browser.withLock { $0 = opener } }
    public func setDevicePrompt(_ prompt: DevicePrompt?) { devicePrompt.withLock { $0 = prompt } }

    var browserOpener: BrowserOpener? { browser.withLock { $0 } }
    var devicePromptHandler: DevicePrompt? { devicePrompt.withLock { $0 } }
}
