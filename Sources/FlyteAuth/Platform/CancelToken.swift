import Synchronization

/// Cancels every operation started before `cancelAll()`; later ones run normally.
public final class CancelSource: Sendable {
    private let epoch = Atomic<UInt64>(0)
    public init() {}
    public func cancelAll() { epoch.add(1, ordering: .releasing) }
    public func token() -> CancelToken { CancelToken(source: self, start: epoch.load(ordering: .acquiring)) }
    fileprivate var current: UInt64 { epoch.load(ordering: .acquiring) }
}

/// Checked by waits and transfers of one operation.
public struct CancelToken: Sendable {
    let source: CancelSource
    let start: UInt64
    public var isCancelled: Bool { source.current != start }
}
