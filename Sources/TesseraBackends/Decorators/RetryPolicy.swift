import Foundation

/// How `RetryingBackend` spaces its attempts: exponential backoff with full
/// jitter (each wait drawn uniformly from zero to a ceiling that doubles per
/// retry), so many clients throttled at once do not come back in step.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included; at least 1.
    public var maxAttempts: Int
    /// The ceiling of the first wait.
    public var baseDelay: TimeInterval
    /// No backoff wait is longer than this.
    public var maxDelay: TimeInterval
    /// A server's own delay (`Retry-After`) is honoured up to this; a longer
    /// one usually means a quota that retrying soon cannot outlast anyway.
    public var maxServerDelay: TimeInterval

    public init(maxAttempts: Int = 8, baseDelay: TimeInterval = 0.25, maxDelay: TimeInterval = 30, maxServerDelay: TimeInterval = 300) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(0, baseDelay)
        self.maxDelay = max(0, maxDelay)
        self.maxServerDelay = max(0, maxServerDelay)
    }

    /// The ceiling of the wait before retry number `retry` (1 for the first):
    /// `baseDelay · 2^(retry − 1)`, at most `maxDelay`.
    public func backoffCeiling(forRetry retry: Int) -> TimeInterval {
        // Past 2^62 the product only overflows; the cap has long applied by then.
        let exponent = Double(min(max(retry - 1, 0), 62))
        return min(maxDelay, baseDelay * pow(2, exponent))
    }

    /// The wait before retry number `retry`: the server's delay when it gave
    /// one, otherwise `jitter` applied to the ceiling (kept within it).
    public func delay(forRetry retry: Int, serverDelay: TimeInterval?, jitter: (TimeInterval) -> TimeInterval) -> TimeInterval {
        if let serverDelay, serverDelay.isFinite {
            return min(max(0, serverDelay), maxServerDelay)
        }
        let ceiling = backoffCeiling(forRetry: retry)
        let drawn = jitter(ceiling)
        return drawn.isFinite ? min(max(0, drawn), ceiling) : ceiling
    }
}
