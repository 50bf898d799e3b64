/// `$VAR` and `${VAR}` expansion exactly as Go's `os.Expand`, which restic
/// applies to exclude files; `$$` stands for a literal `$`.
enum EnvironmentExpansion {
    /// Expands references in `text`; unset variables become empty.
    static func expand(_ text: String, environment: [String: String]) -> String {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var pending = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "$") && index + 1 < bytes.count {
                output.append(contentsOf: bytes[pending..<index])
                let (name, width) = shellName(bytes[(index + 1)...])
                if name.isEmpty && width > 0 {
                    // Bad syntax such as "${}" or an unclosed "${": the characters are dropped.
                } else if name.isEmpty {
                    // A "$" not followed by a name stays as it is.
                    output.append(bytes[index])
                } else {
                    let value = name == "$" ? "$" : environment[name] ?? ""
                    output.append(contentsOf: value.utf8)
                }
                index += width
                pending = index + 1
            }
            index += 1
        }
        output.append(contentsOf: bytes[min(pending, bytes.count)...])
        // Splices happen only at ASCII bytes, so valid UTF-8 in gives valid UTF-8 out.
        return String(decoding: output, as: UTF8.self)
    }

    /// The variable name after a "$" and how many bytes it spans (Go's `getShellName`).
    private static func shellName(_ text: ArraySlice<UInt8>) -> (name: String, width: Int) {
        let start = text.startIndex
        if text[start] == UInt8(ascii: "{") {
            if text.count > 2 && isSpecial(text[start + 1]) && text[start + 2] == UInt8(ascii: "}") {
                return (String(decoding: text[(start + 1)...(start + 1)], as: UTF8.self), 3)
            }
            var index = start + 1
            while index < text.endIndex {
                if text[index] == UInt8(ascii: "}") {
                    if index == start + 1 { return ("", 2) }
                    return (String(decoding: text[(start + 1)..<index], as: UTF8.self), index - start + 1)
                }
                index += 1
            }
            return ("", 1)
        }
        if isSpecial(text[start]) {
            return (String(decoding: text[start...start], as: UTF8.self), 1)
        }
        var end = start
        while end < text.endIndex && isNameByte(text[end]) { end += 1 }
        return (String(decoding: text[start..<end], as: UTF8.self), end - start)
    }

    /// Shell special parameters such as `$$`, `$1`, `$*`.
    private static func isSpecial(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "*"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "@"), UInt8(ascii: "!"),
             UInt8(ascii: "?"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            false
        }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "_"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        default:
            false
        }
    }
}
