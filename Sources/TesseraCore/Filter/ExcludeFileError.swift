/// An exclude file that cannot be read.
public struct ExcludeFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "Cannot read exclude file \(path): \(reason)." }
}
