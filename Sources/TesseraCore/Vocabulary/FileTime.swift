/// A point in time with nanosecond precision, as the kernel keeps it
/// (`struct timespec`). Seconds may be negative (before 1970).
public struct FileTime: Hashable, Comparable, Sendable, Codable {
    public var seconds: Int64
    public var nanoseconds: UInt32

    public init(seconds: Int64, nanoseconds: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static let zero = FileTime(seconds: 0, nanoseconds: 0)

    public static func < (lhs: FileTime, rhs: FileTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}
