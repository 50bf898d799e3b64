import Foundation

/// Waits for a while. Decorators take one instead of calling `Task.sleep`, so
/// tests can record the waits and run without waiting.
public protocol Sleeper: Sendable {
    /// Returns after `seconds` (at once for zero or less); throws when the task is cancelled.
    func sleep(for seconds: TimeInterval) async throws
}
