import Foundation

/// A monotonic clock that can also wait, for decorators that measure time
/// (the bandwidth limiter). Tests use a virtual one that advances as it sleeps.
public protocol BackendClock: Sleeper {
    /// Seconds since an arbitrary fixed origin; never goes backwards.
    var now: TimeInterval { get }
}
