/// One exclude pattern, split into components and parsed once.
///
/// A pattern matches a path when it matches the path's leading components
/// (so a match of a directory also covers everything below it); a pattern
/// without a leading `/` may start at any depth, as if prefixed with `**/`.
struct ExcludePattern: Sendable, Hashable {
    /// `!pattern`: re-includes what earlier patterns excluded (restic 0.16+).
    let isNegated: Bool
    /// Includes a leading `.anyComponents` for patterns that are not anchored at the root.
    let components: [PatternComponent]

    /// nil for a pattern that can never match (such as `.` or `a/..`, which restic also never matches).
    init?(_ text: String) throws(ExcludePatternError) {
        var scalars = Array(text.unicodeScalars)[...]
        isNegated = scalars.first == "!"
        if isNegated { scalars = scalars.dropFirst() }
        if scalars.isEmpty {
            throw ExcludePatternError(pattern: text, reason: "there is nothing after '!'")
        }
        let anchored = scalars.first == "/"

        // Lexical clean as Go's filepath.Clean does: drop empty and "." components
        // (so a trailing slash is ignored), let ".." remove the one before it.
        var cleaned: [ArraySlice<Unicode.Scalar>] = []
        for part in scalars.split(separator: "/", omittingEmptySubsequences: true) {
            if part.elementsEqual(["."]) { continue }
            if part.elementsEqual([".", "."]) {
                if let last = cleaned.last, !last.elementsEqual([".", "."]) {
                    cleaned.removeLast()
                } else if !anchored {
                    cleaned.append(part)
                }
                continue
            }
            cleaned.append(part)
        }
        if cleaned.isEmpty && !anchored { return nil }

        var components: [PatternComponent] = anchored ? [] : [.anyComponents]
        for part in cleaned {
            let component = try PatternComponent(parsing: part, pattern: text)
            // "**/**" matches the same as "**"; one keeps backtracking linear.
            if component == .anyComponents && components.last == .anyComponents { continue }
            components.append(component)
        }
        self.components = components
    }

    /// Whether the pattern matches the leading components of the path (`path[range]` for each range).
    ///
    /// `**` is the only wildcard spanning components and every other component
    /// consumes exactly one, so backtracking to the most recent `**` suffices.
    /// With `wholePath`, the pattern must match the path itself, not an ancestor (for `find`).
    func matches(_ path: UnsafeBufferPointer<UInt8>, components pathComponents: [Range<Int>], wholePath: Bool = false) -> Bool {
        var index = 0
        var consumed = 0
        var starIndex = -1
        var starConsumed = 0
        while true {
            if index == components.count {
                // Every pattern component matched: the rest of the path lies below the match.
                if !wholePath || consumed == pathComponents.count { return true }
            } else {
                if case .anyComponents = components[index] {
                    starIndex = index
                    starConsumed = consumed
                    index += 1
                    continue
                }
                if consumed < pathComponents.count && components[index].matches(path, pathComponents[consumed]) {
                    index += 1
                    consumed += 1
                    continue
                }
            }
            guard starIndex >= 0, starConsumed < pathComponents.count else { return false }
            starConsumed += 1
            consumed = starConsumed
            index = starIndex + 1
        }
    }
}
