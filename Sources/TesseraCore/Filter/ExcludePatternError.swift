/// An exclude pattern that cannot be parsed; the message names the pattern.
public struct ExcludePatternError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The pattern as the user wrote it.
    public let pattern: String
    /// What is wrong with it, e.g. "'[' is not closed by ']'".
    public let reason: String

    public init(pattern: String, reason: String) {
        self.pattern = pattern
        self.reason = reason
    }

    public var description: String { "Invalid exclude pattern \"\(pattern)\": \(reason)." }
}
