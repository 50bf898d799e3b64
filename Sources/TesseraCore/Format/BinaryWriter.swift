import Foundation

/// Appends the primitive values of Tessera's binary formats (docs/format.md):
/// unsigned LEB128 varints, zigzag varints for signed values, and byte strings
/// prefixed by their varint length.
public struct BinaryWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public mutating func byte(_ value: UInt8) { bytes.append(value) }

    public mutating func varint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    public mutating func varint(_ value: Int) { varint(UInt64(value)) }

    public mutating func signedVarint(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func raw(_ data: some Collection<UInt8>) { bytes.append(contentsOf: data) }

    public mutating func lengthPrefixed(_ data: some Collection<UInt8>) {
        varint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    public mutating func string(_ value: String) { lengthPrefixed(Array(value.utf8)) }

    public mutating func id(_ value: ID) { bytes.append(contentsOf: value.bytes) }

    public mutating func uint32LE(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func time(_ value: FileTime) {
        signedVarint(value.seconds)
        varint(UInt64(value.nanoseconds))
    }
}
