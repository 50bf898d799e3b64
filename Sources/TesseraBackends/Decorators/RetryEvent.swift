import Foundation
import TesseraCore

/// One failed attempt that `RetryingBackend` is about to retry, for progress
/// displays and logs ("retrying in 2.1 s: …").
public struct RetryEvent: Sendable {
    /// The attempt that failed, 1 for the first.
    public var attempt: Int
    public var error: BackendError
    /// How long it waits before the next attempt.
    public var delay: TimeInterval

    public init(attempt: Int, error: BackendError, delay: TimeInterval) {
        self.attempt = attempt
        self.error = error
        self.delay = delay
    }
}
