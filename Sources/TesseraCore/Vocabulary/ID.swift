import Foundation

/// A 32-byte identifier: a keyed hash for blobs, a SHA-256 for packs, random
/// for keys, snapshots, index files and locks. Printed as 64 lowercase hex digits.
public struct ID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let byteCount = 32

    /// The raw bytes, always exactly 32.
    public let bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == ID.byteCount else { return nil }
        self.bytes = Array(bytes)
    }

    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == ID.byteCount * 2, let bytes = HexCoding.decode(hex) else { return nil }
        self.bytes = bytes
    }

    /// A fresh random id (for objects that are not content-addressed).
    public static func random() -> ID {
        var generator = SystemRandomNumberGenerator()
        return ID(unchecked: (0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    init(unchecked bytes: [UInt8]) {
        precondition(bytes.count == ID.byteCount)
        self.bytes = bytes
    }

    public var hex: String { HexCoding.encode(bytes) }
    /// The first 8 hex digits, as restic prints ids in listings.
    public var short: String { String(hex.prefix(8)) }
    public var description: String { hex }
    public var data: Data { Data(bytes) }

    public static func < (lhs: ID, rhs: ID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}

public enum HexCoding {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ hex: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = digitValue(utf8[index]), let low = digitValue(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// The value of one hex digit (either case), nil for anything else.
    public static func digitValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
