import Foundation

/// Reads what `BinaryWriter` wrote. Every read is bounds-checked and throws
/// `FormatError` on truncated or malformed input: damaged data never crashes.
public struct BinaryReader {
    private let bytes: [UInt8]
    public private(set) var offset: Int = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ data: Data) { self.bytes = [UInt8](data) }

    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw FormatError.truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64, !(shift == 63 && next > 1) else { throw FormatError.malformed("varint overflows 64 bits") }
            result |= UInt64(next & 0x7f) << shift
            if next & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A varint that must fit an `Int` and not exceed `limit` (a sanity bound against hostile sizes).
    public mutating func count(limit: Int = Int(Int32.max)) throws -> Int {
        let value = try varint()
        guard value <= UInt64(limit) else { throw FormatError.malformed("count \(value) exceeds \(limit)") }
        return Int(value)
    }

    public mutating func signedVarint() throws -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    public mutating func raw(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= bytes.count - offset else { throw FormatError.truncated }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    public mutating func lengthPrefixed() throws -> [UInt8] { try raw(count(limit: bytes.count - offset)) }

    public mutating func string() throws -> String {
        let raw = try lengthPrefixed()
        guard let value = String(validating: raw, as: UTF8.self) else { throw FormatError.malformed("string is not UTF-8") }
        return value
    }

    public mutating func id() throws -> ID { ID(unchecked: try raw(ID.byteCount)) }

    public mutating func uint32LE() throws -> UInt32 {
        let four = try raw(4)
        return UInt32(four[0]) | UInt32(four[1]) << 8 | UInt32(four[2]) << 16 | UInt32(four[3]) << 24
    }

    public mutating func time() throws -> FileTime {
        let seconds = try signedVarint()
        let nanoseconds = try varint()
        guard nanoseconds < 1_000_000_000 else { throw FormatError.malformed("nanoseconds out of range") }
        return FileTime(seconds: seconds, nanoseconds: UInt32(nanoseconds))
    }
}

/// Why bytes did not decode.
public enum FormatError: Error, Equatable, CustomStringConvertible, Sendable {
    case truncated
    case malformed(String)
    case unknownVersion(object: String, version: Int)

    public var description: String {
        switch self {
        case .truncated: "data ends too early"
        case .malformed(let detail): "malformed data: \(detail)"
        case .unknownVersion(let object, let version): "\(object) has format version \(version), which this tessera does not know"
        }
    }
}
