import FlyteAuthCore
import Synchronization

/// How the client reaches the person during a login. The host can replace each part.
public final class Interaction: Sendable {
    /// Returns true when it showed or opened the URL.
    public typealias BrowserOpener = @Sendable (String) -> Bool
    public typealias DevicePrompt = @Sendable (DeviceAuthorization) -> Void
    /// Told when a browser login starts waiting for its callback, with the wall-clock
    /// deadline (so a terminal can show the time left).
    public typealias WaitNotice = @Sendable (Double) -> Void

    private let browser = Mutex<BrowserOpener?>(nil)
    private let devicePrompt = Mutex<DevicePrompt?>(nil)
    private let waitNotice = Mutex<WaitNotice?>(nil)

    public init() {}

    public func setBrowserOpener(_ opener: BrowserOpener?) { browser.withLock { $0 = opener } }
    public func setDevicePrompt(_ prompt: DevicePrompt?) { devicePrompt.withLock { $0 = prompt } }
    public func setWaitNotice(_ notice: WaitNotice?) { waitNotice.withLock { $0 = notice } }

    var browserOpener: BrowserOpener? { browser.withLock { $0 } }
    var devicePromptHandler: DevicePrompt? { devicePrompt.withLock { $0 } }
    var waitNoticeHandler: WaitNotice? { waitNotice.withLock { $0 } }
}
