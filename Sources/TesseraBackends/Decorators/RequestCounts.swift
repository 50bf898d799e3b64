/// How many requests of each kind went to a backend and how many bytes moved,
/// as counted by `RequestCountingBackend` (for the `--json` summary).
public struct RequestCounts: Sendable, Hashable, Codable {
    public var save = 0
    /// Whole-object loads.
    public var load = 0
    /// Byte-range loads.
    public var loadRange = 0
    public var stat = 0
    public var list = 0
    public var delete = 0
    /// Bytes of successful saves.
    public var bytesUploaded: Int64 = 0
    /// Bytes returned by successful loads.
    public var bytesDownloaded: Int64 = 0

    public init() {}

    public var requests: Int { save + load + loadRange + stat + list + delete }
}
