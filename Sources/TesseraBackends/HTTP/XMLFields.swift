/// Reads the few fields the S3 backend needs from an XML reply: the text of
/// `<Name>…</Name>` elements, in document order, with entities decoded.
///
/// S3 replies are small, flat documents (a listing, an error, an upload id),
/// so a scanner is enough and keeps a full XML parser (libxml2) out of the
/// dependencies. Malformed input gives fewer or no values, never a crash.
public struct XMLFields: Sendable {
    private let bytes: [UInt8]

    public init<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        self.bytes = Array(bytes)
    }

    /// The text of every `<name>` element (attributes allowed on the tag).
    public func values(_ name: String) -> [String] {
        elements(name).map { Self.decodeEntities(bytes[$0]) }
    }

    public func first(_ name: String) -> String? { values(name).first }

    /// The inner XML of every `<name>` element, to read fields inside each.
    public func blocks(_ name: String) -> [XMLFields] {
        elements(name).map { XMLFields(bytes[$0]) }
    }

    /// Ranges of the inner text of each `<name>…</name>`.
    private func elements(_ name: String) -> [Range<Int>] {
        let open = Array("<\(name)".utf8)
        let close = Array("</\(name)>".utf8)
        var result: [Range<Int>] = []
        var index = 0
        while let start = find(open, from: index) {
            let afterName = start + open.count
            guard afterName < bytes.count else { break }
            // `<Key>` or `<Key attr="…">`, not `<KeyCount>`; `<Key/>` is empty.
            let next = bytes[afterName]
            guard next == UInt8(ascii: ">") || next == UInt8(ascii: " ") || next == UInt8(ascii: "/") else {
                index = afterName
                continue
            }
            guard let tagEnd = find([UInt8(ascii: ">")], from: afterName) else { break }
            if bytes[tagEnd - 1] == UInt8(ascii: "/") {
                result.append(tagEnd + 1..<tagEnd + 1)
                index = tagEnd + 1
                continue
            }
            guard let end = find(close, from: tagEnd + 1) else { break }
            result.append(tagEnd + 1..<end)
            index = end + close.count
        }
        return result
    }

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, start >= 0, bytes.count >= needle.count else { return nil }
        var index = start
        while index <= bytes.count - needle.count {
            if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    /// `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` and `&#N;` / `&#xN;`; anything
    /// else is kept as written.
    static func decodeEntities(_ text: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == UInt8(ascii: "&"), let semicolon = text[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) {
                let entity = String(decoding: text[(index + 1)..<semicolon], as: UTF8.self)
                if let decoded = decode(entity) {
                    out.append(contentsOf: decoded)
                    index = semicolon + 1
                    continue
                }
            }
            out.append(byte)
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func decode(_ entity: String) -> [UInt8]? {
        switch entity {
        case "amp": return [UInt8(ascii: "&")]
        case "lt": return [UInt8(ascii: "<")]
        case "gt": return [UInt8(ascii: ">")]
        case "quot": return [UInt8(ascii: "\"")]
        case "apos": return [UInt8(ascii: "'")]
        default:
            guard entity.hasPrefix("#") else { return nil }
            let digits = entity.dropFirst()
            let value = digits.hasPrefix("x") || digits.hasPrefix("X")
                ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard let value, let scalar = Unicode.Scalar(value) else { return nil }
            return Array(String(Character(scalar)).utf8)
        }
    }

    /// `text` with `& < > " '` escaped, for XML the backend writes.
    public static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
