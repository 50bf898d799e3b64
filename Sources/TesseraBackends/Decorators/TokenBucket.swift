import Foundation
import Synchronization

/// A token bucket: tokens (bytes) accrue at `rate` per second up to `capacity`.
///
/// `take` withdraws at once, into debt if need be, and then waits until the
/// debt would be repaid. So an object larger than the bucket passes instead
/// of waiting forever for tokens that can never accumulate, and callers queue
/// in the order they asked: each one waits behind the debt of those before.
public final class TokenBucket: Sendable {
    /// Tokens per second.
    public let rate: Double
    /// The most tokens that can accrue: the largest burst.
    public let capacity: Double
    private let clock: any BackendClock

    private struct State {
        var tokens: Double
        var updated: TimeInterval
    }

    private let state: Mutex<State>

    /// A bucket that starts full. `rate` must be positive (it is raised to 1 if not).
    public init(rate: Double, burst: TimeInterval = 1, clock: any BackendClock) {
        self.rate = rate.isFinite && rate >= 1 ? rate : 1
        self.capacity = self.rate * max(0, burst)
        self.clock = clock
        state = Mutex(State(tokens: capacity, updated: clock.now))
    }

    /// Withdraws `count` tokens and waits until the bucket is out of debt.
    public func take(_ count: Int) async throws {
        guard count > 0 else { return }
        let wait = state.withLock { state -> TimeInterval in
            let now = clock.now
            if now > state.updated {
                state.tokens = min(capacity, state.tokens + (now - state.updated) * rate)
                state.updated = now
            }
            state.tokens -= Double(count)
            return state.tokens < 0 ? -state.tokens / rate : 0
        }
        if wait > 0 { try await clock.sleep(for: wait) }
    }
}
