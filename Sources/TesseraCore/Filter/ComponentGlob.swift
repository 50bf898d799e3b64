/// A wildcard pattern for a single path component, with Go `filepath.Match`
/// syntax as restic uses it: `*`, `?`, `[...]` classes and `\` escapes.
struct ComponentGlob: Sendable, Hashable {
    enum Token: Sendable, Hashable {
        /// UTF-8 bytes compared exactly.
        case literal([UInt8])
        /// `*`: any run of characters, including none.
        case anyRun
        /// `?`: exactly one character.
        case anyCharacter
        case characterClass(CharacterClass)
    }

    /// `[...]`: one character in (or, negated, not in) any of the ranges.
    struct CharacterClass: Sendable, Hashable {
        var ranges: [ClosedRange<UInt32>]
        var negated: Bool

        func contains(_ character: NameCharacter) -> Bool {
            // A byte outside well-formed UTF-8 belongs to no range, so only a negated class takes it.
            guard let scalar = character.scalar else { return negated }
            return ranges.contains { $0.contains(scalar) } != negated
        }
    }

    let tokens: [Token]

    init(parsing text: ArraySlice<Unicode.Scalar>, pattern: String) throws(ExcludePatternError) {
        var tokens: [Token] = []
        var literal: [UInt8] = []
        func flushLiteral() {
            if !literal.isEmpty {
                tokens.append(.literal(literal))
                literal = []
            }
        }
        var index = text.startIndex
        while index < text.endIndex {
            let scalar = text[index]
            index += 1
            switch scalar {
            case "*":
                flushLiteral()
                // Consecutive stars match the same as one; keeping one avoids needless backtracking.
                if tokens.last != .anyRun { tokens.append(.anyRun) }
            case "?":
                flushLiteral()
                tokens.append(.anyCharacter)
            case "\\":
                guard index < text.endIndex else {
                    throw ExcludePatternError(pattern: pattern, reason: "a '\\' at the end of a path component escapes nothing")
                }
                literal.append(contentsOf: String(text[index]).utf8)
                index += 1
            case "[":
                flushLiteral()
                tokens.append(.characterClass(try Self.parseClass(text, from: &index, pattern: pattern)))
            default:
                literal.append(contentsOf: String(scalar).utf8)
            }
        }
        flushLiteral()
        self.tokens = tokens
    }

    /// Parses a class whose `[` is just before `index`, leaving `index` after its `]`.
    private static func parseClass(
        _ text: ArraySlice<Unicode.Scalar>, from index: inout Int, pattern: String
    ) throws(ExcludePatternError) -> CharacterClass {
        func fail(_ reason: String) -> ExcludePatternError {
            ExcludePatternError(pattern: pattern, reason: reason)
        }
        // Go takes `^`; `!` is the shell spelling users also expect.
        var negated = false
        if index < text.endIndex && (text[index] == "^" || text[index] == "!") {
            negated = true
            index += 1
        }
        func member() throws(ExcludePatternError) -> UInt32 {
            guard index < text.endIndex else { throw fail("'[' is not closed by ']'") }
            var scalar = text[index]
            if scalar == "]" { throw fail("a character class is empty or a range lacks its end") }
            if scalar == "-" { throw fail("a '-' in a character class must be escaped or stand between two characters") }
            if scalar == "\\" {
                index += 1
                guard index < text.endIndex else { throw fail("'[' is not closed by ']'") }
                scalar = text[index]
            }
            index += 1
            return scalar.value
        }
        var ranges: [ClosedRange<UInt32>] = []
        while true {
            guard index < text.endIndex else { throw fail("'[' is not closed by ']'") }
            if text[index] == "]" && !ranges.isEmpty {
                index += 1
                return CharacterClass(ranges: ranges, negated: negated)
            }
            let low = try member()
            var high = low
            if index < text.endIndex && text[index] == "-" {
                index += 1
                high = try member()
            }
            guard low <= high else {
                let range = "\(Unicode.Scalar(low).map(String.init) ?? "?")-\(Unicode.Scalar(high).map(String.init) ?? "?")"
                throw fail("the range \(range) in a character class is reversed")
            }
            ranges.append(low...high)
        }
    }

    /// Whether `path[range]` matches, trying the fewest characters for each `*` first.
    ///
    /// Positions only ever land on character boundaries, so each token between two
    /// stars consumes a fixed number of characters and backtracking to the most
    /// recent star alone is enough (the classic linear-space wildcard algorithm).
    func matches(_ path: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        let end = range.upperBound
        var token = 0
        var position = range.lowerBound
        var starToken = -1
        var starPosition = 0
        while true {
            if token < tokens.count {
                switch tokens[token] {
                case .anyRun:
                    starToken = token
                    starPosition = position
                    token += 1
                    continue
                case .literal(let bytes):
                    if Self.bytes(path, at: position, end: end, startWith: bytes) {
                        position += bytes.count
                        token += 1
                        continue
                    }
                case .anyCharacter:
                    if position < end {
                        position += NameCharacter(path, at: position, end: end).width
                        token += 1
                        continue
                    }
                case .characterClass(let characterClass):
                    if position < end {
                        let character = NameCharacter(path, at: position, end: end)
                        if characterClass.contains(character) {
                            position += character.width
                            token += 1
                            continue
                        }
                    }
                }
            } else if position == end {
                return true
            }
            // Mismatch: let the most recent star take one more character and retry after it.
            guard starToken >= 0, starPosition < end else { return false }
            starPosition += NameCharacter(path, at: starPosition, end: end).width
            position = starPosition
            token = starToken + 1
        }
    }

    /// Whether `path[position..<end]` starts with `bytes`.
    static func bytes(_ path: UnsafeBufferPointer<UInt8>, at position: Int, end: Int, startWith bytes: [UInt8]) -> Bool {
        guard end - position >= bytes.count else { return false }
        var offset = 0
        for byte in bytes {
            if path[position + offset] != byte { return false }
            offset += 1
        }
        return true
    }
}
