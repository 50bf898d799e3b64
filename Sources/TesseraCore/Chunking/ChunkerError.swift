/// A failure of the chunker itself (errors thrown by the `read` closure pass through unchanged).
public enum ChunkerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `read` closure returned a negative count or more than the buffer it was given holds.
    case invalidReadCount(returned: Int, capacity: Int)

    public var description: String {
        switch self {
        case .invalidReadCount(let returned, let capacity):
            "The chunker's read function returned \(returned) for a buffer of \(capacity) bytes."
        }
    }
}
