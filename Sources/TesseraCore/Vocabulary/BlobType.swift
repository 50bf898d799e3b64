/// What a blob holds. Stored in pack headers and index files as one byte.
public enum BlobType: UInt8, Sendable, Codable, CaseIterable {
    /// A chunk of file content.
    case data = 0
    /// An encoded directory listing (a `Tree`).
    case tree = 1

    public var name: String { self == .data ? "data" : "tree" }
}
