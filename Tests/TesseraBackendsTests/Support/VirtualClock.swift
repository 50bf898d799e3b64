import Foundation
import Synchronization
import TesseraBackends

/// A clock whose time moves only when something sleeps on it: sleeps return
/// at once, are recorded, and advance `now` by their length.
final class VirtualClock: BackendClock {
    private struct State {
        var now: TimeInterval = 0
        var sleeps: [TimeInterval] = []
    }

    private let state = Mutex(State())

    var now: TimeInterval { state.withLock { $0.now } }

    /// Every wait asked for, in order.
    var sleeps: [TimeInterval] { state.withLock { $0.sleeps } }

    func sleep(for seconds: TimeInterval) async throws {
        state.withLock {
            $0.sleeps.append(seconds)
            $0.now += max(0, seconds)
        }
    }
}
