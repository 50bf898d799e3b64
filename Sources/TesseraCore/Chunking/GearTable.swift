/// 256 64-bit values; the repository derives them from a secret, so cut points
/// differ between repositories (chunk sizes then reveal nothing about content
/// that an attacker could precompute).
public struct GearTable: Sendable, Hashable {
    public static let count = 256

    /// Exactly 256 entries, indexed by byte value.
    public let values: [UInt64]

    /// nil unless `values` has exactly 256 entries.
    public init?(values: [UInt64]) {
        guard values.count == Self.count else { return nil }
        self.values = values
    }
}
