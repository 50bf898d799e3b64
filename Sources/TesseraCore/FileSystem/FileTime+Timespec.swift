import Glibc

/// Conversions between `FileTime` and the kernel's `struct timespec`.
extension FileTime {
    init(_ time: timespec) {
        // The kernel keeps tv_nsec in 0..<1_000_000_000, also for negative seconds.
        self.init(seconds: Int64(time.tv_sec), nanoseconds: UInt32(clamping: time.tv_nsec))
    }

    var timespecValue: timespec {
        timespec(tv_sec: Int(truncatingIfNeeded: seconds), tv_nsec: Int(nanoseconds))
    }
}
