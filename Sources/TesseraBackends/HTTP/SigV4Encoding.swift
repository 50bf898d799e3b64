import TesseraCore

/// The URI encoding rules of AWS Signature Version 4, as S3 applies them.
///
/// Every byte except the unreserved characters `A-Z a-z 0-9 - _ . ~` is
/// written as `%XX` (upper-case hex). In a path `/` is kept; in a query key
/// or value it is encoded too. S3 paths are encoded once only (no double
/// encoding, unlike the other AWS services).
public enum SigV4Encoding {
    /// Encodes raw bytes; `/` stays literal when `keepSlash` is set.
    public static func uriEncode<Bytes: Sequence>(_ bytes: Bytes, keepSlash: Bool) -> String
    where Bytes.Element == UInt8 {
        var out = [UInt8]()
        for byte in bytes {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Encodes a string's UTF-8 bytes.
    public static func uriEncode(_ string: String, keepSlash: Bool) -> String {
        uriEncode(string.utf8, keepSlash: keepSlash)
    }

    /// Decodes `%XX` escapes to bytes; anything else (including `+` and a
    /// malformed escape) is kept as it is.
    public static func percentDecode(_ string: Substring) -> [UInt8] {
        let bytes = Array(string.utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = HexCoding.digitValue(bytes[index + 1]), let low = HexCoding.digitValue(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    /// The canonical URI of a path as it appears (percent-encoded) in the
    /// request line: decoded once, then encoded with `/` kept. An empty
    /// path is `/`.
    public static func canonicalURI(percentEncodedPath path: String) -> String {
        if path.isEmpty { return "/" }
        return uriEncode(percentDecode(Substring(path)), keepSlash: true)
    }

    /// The canonical query string of a percent-encoded query (without `?`):
    /// each key and value decoded, then encoded separately (`/` included),
    /// sorted by key then value, joined as `key=value` with `&`. A key
    /// without `=` gets an empty value (`lifecycle` → `lifecycle=`).
    public static func canonicalQuery(percentEncodedQuery query: String?) -> String {
        guard let query, !query.isEmpty else { return "" }
        var pairs: [(key: String, value: String)] = []
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            let key: Substring
            let value: Substring
            if let equals = item.firstIndex(of: "=") {
                key = item[..<equals]
                value = item[item.index(after: equals)...]
            } else {
                key = item
                value = ""
            }
            pairs.append((
                uriEncode(percentDecode(key), keepSlash: false),
                uriEncode(percentDecode(value), keepSlash: false)
            ))
        }
        // Encoded strings are ASCII, so `<` is byte order, as AWS requires.
        pairs.sort { $0.key != $1.key ? $0.key < $1.key : $0.value < $1.value }
        return pairs.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
}
