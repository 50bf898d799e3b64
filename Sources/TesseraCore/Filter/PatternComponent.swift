/// One path component of an exclude pattern, parsed once when the filter is built.
enum PatternComponent: Sendable, Hashable {
    /// No wildcards: compared byte for byte (the common case, and the cheapest).
    case literal([UInt8])
    /// Wildcards within one component: `*`, `?`, `[...]`.
    case glob(ComponentGlob)
    /// `**`: any number of whole components, including none.
    case anyComponents

    /// Parses the text of one component (between slashes). `pattern` is the whole pattern, for error messages.
    init(parsing text: ArraySlice<Unicode.Scalar>, pattern: String) throws(ExcludePatternError) {
        if text.elementsEqual(["*", "*"]) {
            self = .anyComponents
            return
        }
        let glob = try ComponentGlob(parsing: text, pattern: pattern)
        if glob.tokens.count == 1, case .literal(let bytes) = glob.tokens[0] {
            self = .literal(bytes)
        } else {
            self = .glob(glob)
        }
    }

    /// Whether the path component `path[range]` matches. Never called for `.anyComponents`.
    func matches(_ path: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        switch self {
        case .literal(let bytes):
            ComponentGlob.bytes(path, at: range.lowerBound, end: range.upperBound, startWith: bytes)
                && bytes.count == range.count
        case .glob(let glob):
            glob.matches(path, range)
        case .anyComponents:
            true
        }
    }
}
