/// Helpers for paths and names kept as raw bytes (Linux names need not be UTF-8).
public enum PathBytes {
    public static let slash = UInt8(ascii: "/")
    static let backslash = UInt8(ascii: "\\")

    public static func isSafeComponent(_ name: [UInt8]) -> Bool {
        if name.isEmpty || name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] {
            return false
        }
        return !name.contains(slash) && !name.contains(0)
    }

    /// Splits an absolute or relative path into its non-empty components.
    public static func components(_ path: [UInt8]) -> [[UInt8]] {
        path.split(separator: slash, omittingEmptySubsequences: true).map(Array.init)
    }

    /// A path inside a snapshot: always absolute, with `[]` standing for the root.
    public static func child(_ parent: [UInt8], _ name: [UInt8]) -> [UInt8] { parent + [slash] + name }

    public static func join(_ parent: [UInt8], _ name: [UInt8]) -> [UInt8] {
        if parent.isEmpty { return name }
        if parent.last == slash { return parent + name }
        return parent + [slash] + name
    }

    /// UTF-8 where valid; each byte of an invalid sequence becomes `\xNN` and a
    /// literal backslash becomes `\\`, so that distinct names always display
    /// distinctly (as `ls -b` does).
    public static func display(_ bytes: [UInt8]) -> String {
        if !bytes.contains(backslash), let valid = String(validating: bytes, as: UTF8.self) { return valid }
        var out = ""
        var index = 0
        while index < bytes.count {
            let length = utf8SequenceLength(bytes, at: index)
            if length > 0, let piece = String(validating: bytes[index..<index + length], as: UTF8.self) {
                out += piece == "\\" ? "\\\\" : piece
                index += length
            } else {
                out += "\\x" + HexCoding.encode([bytes[index]])
                index += 1
            }
        }
        return out
    }

    private static func utf8SequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        switch lead {
        case 0x00...0x7f: length = 1
        case 0xc2...0xdf: length = 2
        case 0xe0...0xef: length = 3
        case 0xf0...0xf4: length = 4
        default: return 0
        }
        return index + length <= bytes.count ? length : 0
    }
}
