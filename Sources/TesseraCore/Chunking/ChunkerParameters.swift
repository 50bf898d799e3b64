/// Size limits for content-defined chunking. They are stored in the repository
/// config: changing them changes every cut point and so defeats deduplication.
public struct ChunkerParameters: Sendable, Hashable, Codable {
    /// No cut point is searched for before this many bytes (except at the end of the input).
    public var minSize: Int
    /// The target chunk size; must be a power of two because it sets the mask widths.
    public var averageSize: Int
    /// A chunk is cut here unconditionally.
    public var maxSize: Int

    /// Below this, per-chunk overhead (ids, index entries) dominates.
    public static let smallestMinSize = 64
    /// Above this, a single chunk costs too much memory to pack and encrypt.
    public static let largestMaxSize = 64 << 20

    public init(minSize: Int, averageSize: Int, maxSize: Int) {
        self.minSize = minSize
        self.averageSize = averageSize
        self.maxSize = maxSize
    }

    public static let `default` = ChunkerParameters(minSize: 512 << 10, averageSize: 1 << 20, maxSize: 8 << 20)

    /// nil when valid; otherwise a sentence saying what is wrong.
    public var validationError: String? {
        if minSize < Self.smallestMinSize {
            return "The minimum chunk size \(minSize) is below \(Self.smallestMinSize) bytes."
        }
        if maxSize > Self.largestMaxSize {
            return "The maximum chunk size \(maxSize) is above 64 MiB (\(Self.largestMaxSize) bytes)."
        }
        if averageSize <= 0 || averageSize & (averageSize - 1) != 0 {
            return "The average chunk size \(averageSize) is not a power of two."
        }
        if minSize >= averageSize {
            return "The minimum chunk size \(minSize) is not smaller than the average chunk size \(averageSize)."
        }
        if averageSize >= maxSize {
            return "The average chunk size \(averageSize) is not smaller than the maximum chunk size \(maxSize)."
        }
        return nil
    }
}
