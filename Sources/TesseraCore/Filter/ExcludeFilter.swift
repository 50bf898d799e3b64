/// Decides which paths a backup skips, with restic's `--exclude` pattern rules.
///
/// Within a component: `*` (any run), `?` (one character), `[abc]`, `[a-z]`,
/// `[!a]` or `[^a]`, and `\` escapes; `?` and classes take one UTF-8 character,
/// or one byte that is not part of a valid sequence. `**` as a whole component
/// matches any number of components, including none. A leading `/` anchors the
/// pattern at the root; otherwise it may start at any depth. A pattern matching
/// a directory also excludes everything below it. `!pattern` re-includes.
///
/// Paths are raw bytes: Linux file names need not be UTF-8.
public struct ExcludeFilter: Sendable {
    private let patterns: [ExcludePattern]
    /// Without `!` patterns the first match decides, so matching can stop early.
    private let hasNegatedPattern: Bool

    /// Patterns as restic takes them. Throws ExcludePatternError (with a message naming the pattern) for an invalid one (e.g. unterminated `[`).
    ///
    /// Empty patterns are ignored, as restic ignores them.
    public init(patterns: [String]) throws {
        var parsed: [ExcludePattern] = []
        for text in patterns where !text.isEmpty {
            if let pattern = try ExcludePattern(text) {
                parsed.append(pattern)
            }
        }
        self.patterns = parsed
        hasNegatedPattern = parsed.contains { $0.isNegated }
    }

    public var isEmpty: Bool { patterns.isEmpty }

    /// Whether an absolute path (bytes, e.g. "/home/a/b.o") is excluded.
    ///
    /// Patterns apply in order: a plain one that matches excludes, a later `!`
    /// one that matches includes again.
    public func excludes(path: [UInt8]) -> Bool { evaluate(path, wholePath: false) }

    /// Whether the path itself (not an ancestor) matches: what `find` lists.
    public func matches(path: [UInt8]) -> Bool { evaluate(path, wholePath: true) }

    private func evaluate(_ path: [UInt8], wholePath: Bool) -> Bool {
        if patterns.isEmpty { return false }
        let components = Self.componentRanges(path)
        return path.withUnsafeBufferPointer { bytes in
            var excluded = false
            for pattern in patterns {
                if pattern.isNegated {
                    if excluded && pattern.matches(bytes, components: components, wholePath: wholePath) { excluded = false }
                } else if !excluded && pattern.matches(bytes, components: components, wholePath: wholePath) {
                    if !hasNegatedPattern { return true }
                    excluded = true
                }
            }
            return excluded
        }
    }

    /// The ranges of the non-empty components between slashes.
    private static func componentRanges(_ path: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for (index, byte) in path.enumerated() where byte == UInt8(ascii: "/") {
            if index > start { ranges.append(start..<index) }
            start = index + 1
        }
        if path.count > start { ranges.append(start..<path.count) }
        return ranges
    }
}
