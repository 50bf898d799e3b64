import Foundation

/// Real time: `ContinuousClock` for readings, `Task.sleep` for waits.
public struct SystemClock: BackendClock {
    private let origin = ContinuousClock.now

    public init() {}

    public var now: TimeInterval {
        let (seconds, attoseconds) = (ContinuousClock.now - origin).components
        return TimeInterval(seconds) + TimeInterval(attoseconds) * 1e-18
    }

    public func sleep(for seconds: TimeInterval) async throws {
        // `Duration` cannot hold NaN or infinity (`.seconds(_:)` would trap).
        guard seconds > 0, seconds.isFinite else { return }
        try await Task.sleep(for: .seconds(seconds))
    }
}
