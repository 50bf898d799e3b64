import Crypto
import Foundation
import Synchronization

/// Where a blob lives inside a pack.
public struct PackedBlob: Hashable, Sendable {
    public var type: BlobType
    public var id: ID
    /// Offset of the sealed blob in the pack.
    public var offset: UInt64
    /// Length of the sealed blob.
    public var length: UInt32
    /// Length of the plaintext before compression.
    public var rawLength: UInt32

    public init(type: BlobType, id: ID, offset: UInt64, length: UInt32, rawLength: UInt32) {
        self.type = type
        self.id = id
        self.offset = offset
        self.length = length
        self.rawLength = rawLength
    }
}

/// A pack file: `sealed blob | sealed blob | … | sealed header | header length (u32 LE)`.
///
/// The header lists every blob (type, id, offset, length, raw length), so
/// the index can be rebuilt from packs alone (invariant 6). A pack's name is
/// the SHA-256 of all its bytes, checkable without the key.
public enum PackFormat {
    public static let headerVersion: UInt8 = 1
    /// The header length field at the end.
    public static let trailerSize = 4

    public static func encodeHeader(_ blobs: [PackedBlob]) -> [UInt8] {
        var writer = BinaryWriter(capacity: 16 + blobs.count * 48)
        writer.byte(headerVersion)
        writer.varint(blobs.count)
        for blob in blobs {
            writer.byte(blob.type.rawValue)
            writer.id(blob.id)
            writer.varint(blob.offset)
            writer.varint(UInt64(blob.length))
            writer.varint(UInt64(blob.rawLength))
        }
        return writer.bytes
    }

    public static func decodeHeader(_ plaintext: Data) throws -> [PackedBlob] {
        var reader = BinaryReader(plaintext)
        let version = try reader.byte()
        guard version == headerVersion else { throw FormatError.unknownVersion(object: "pack header", version: Int(version)) }
        let count = try reader.count(limit: plaintext.count / 36)
        var blobs = [PackedBlob]()
        blobs.reserveCapacity(count)
        for _ in 0..<count {
            let rawType = try reader.byte()
            guard let type = BlobType(rawValue: rawType) else { throw FormatError.malformed("unknown blob type \(rawType)") }
            let id = try reader.id()
            let offset = try reader.varint()
            let length = try reader.varint()
            let rawLength = try reader.varint()
            guard length <= UInt32.max, rawLength <= UInt32.max else { throw FormatError.malformed("blob length out of range") }
            blobs.append(PackedBlob(type: type, id: id, offset: offset, length: UInt32(length), rawLength: UInt32(rawLength)))
        }
        guard reader.isAtEnd else { throw FormatError.malformed("trailing bytes in pack header") }
        return blobs
    }

    /// Reads the header from the tail of a pack, given `tail` = its last bytes.
    /// Returns nil when the tail is too short to hold the whole header (the caller then reads `needed` bytes).
    public static func header(fromTail tail: Data, packSize: Int, sealer: Sealer) throws -> (blobs: [PackedBlob], needed: Int)? {
        guard tail.count >= trailerSize else { throw FormatError.truncated }
        var reader = BinaryReader(Array(tail.suffix(trailerSize)))
        let headerLength = Int(try reader.uint32LE())
        let needed = headerLength + trailerSize
        guard headerLength >= Sealer.overhead, needed <= packSize else { throw FormatError.malformed("pack header length \(headerLength) out of range") }
        guard tail.count >= needed else { return ([], needed) }
        let sealed = tail.subdata(in: (tail.endIndex - needed)..<(tail.endIndex - trailerSize))
        let blobs = try decodeHeader(sealer.open(sealed, purpose: .packHeader))
        let dataEnd = UInt64(packSize - needed)
        for blob in blobs where blob.offset > dataEnd || UInt64(blob.length) > dataEnd - blob.offset {
            throw FormatError.malformed("blob \(blob.id.short) lies outside the pack")
        }
        return (blobs, needed)
    }

    public static func packID(of bytes: Data) -> ID {
        ID(unchecked: Array(SHA256.hash(data: bytes)))
    }
}

/// Gathers sealed blobs into one pack in memory.
///
/// The bytes go into a `PackBuffer`, which the finished pack hands to the
/// backend as `Data` without a copy; when that `Data` is released the buffer
/// returns to its pool, so a backup reuses a few pack-sized buffers instead
/// of mapping and faulting in fresh memory for every pack.
public struct PackBuilder: Sendable {
    private let buffer: PackBuffer
    public private(set) var blobs: [PackedBlob] = []

    public init(capacity: Int, pool: PackBufferPool? = nil) {
        buffer = pool?.take(capacity: capacity) ?? PackBuffer(capacity: capacity, pool: nil)
    }

    public var isEmpty: Bool { blobs.isEmpty }
    public var size: Int { buffer.count }

    public mutating func append(type: BlobType, id: ID, sealed: Data, rawLength: Int) {
        blobs.append(PackedBlob(type: type, id: id, offset: UInt64(buffer.count), length: UInt32(sealed.count), rawLength: UInt32(rawLength)))
        buffer.append(sealed)
    }

    /// The finished pack's bytes and its id (the SHA-256 of those bytes).
    /// Consumes the builder: the pack's bytes are not copied.
    public consuming func finish(sealer: Sealer) -> (id: ID, bytes: Data, blobs: [PackedBlob]) {
        let header = sealer.seal(PackFormat.encodeHeader(blobs), purpose: .packHeader)
        buffer.append(header)
        var trailer = BinaryWriter(capacity: 4)
        trailer.uint32LE(UInt32(header.count))
        buffer.append(Data(trailer.bytes))
        let bytes = buffer.handOff()
        return (PackFormat.packID(of: bytes), bytes, blobs)
    }
}

/// Memory for one pack being built. Owned by one `PackBuilder` until
/// `handOff()`, then by the `Data` it returns.
///
/// `@unchecked Sendable`: a buffer is only ever written by the one builder
/// that owns it (builders move between tasks under the writer's mutex, never
/// shared), and after `handOff()` it is only read, through the `Data`.
public final class PackBuffer: @unchecked Sendable {
    private let pool: PackBufferPool?
    fileprivate var base: UnsafeMutableRawPointer
    fileprivate var capacity: Int
    private(set) var count = 0
    private var handedOff = false

    fileprivate init(capacity: Int, pool: PackBufferPool?) {
        self.capacity = max(capacity, 4096)
        self.base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
        self.pool = pool
    }

    fileprivate init(reusing base: UnsafeMutableRawPointer, capacity: Int, pool: PackBufferPool) {
        self.base = base
        self.capacity = capacity
        self.pool = pool
    }

    func append(_ data: Data) {
        let needed = count + data.count
        if needed > capacity {
            // Rare: a pack's last blob and header overshoot the planned size.
            let grown = UnsafeMutableRawPointer.allocate(byteCount: needed + needed / 4, alignment: 16)
            grown.copyMemory(from: base, byteCount: count)
            base.deallocate()
            base = grown
            capacity = needed + needed / 4
        }
        data.withUnsafeBytes { source in
            if let from = source.baseAddress { (base + count).copyMemory(from: from, byteCount: source.count) }
        }
        count = needed
    }

    /// The bytes as `Data`, without copying; the memory goes back to the pool
    /// (or is freed) when that `Data` is released.
    func handOff() -> Data {
        handedOff = true
        let pool = self.pool
        let capacity = self.capacity
        return Data(bytesNoCopy: base, count: count, deallocator: .custom { pointer, _ in
            if let pool {
                pool.give(pointer, capacity: capacity)
            } else {
                pointer.deallocate()
            }
        })
    }

    deinit {
        if !handedOff {
            if let pool { pool.give(base, capacity: capacity) } else { base.deallocate() }
        }
    }
}

/// A few pack-sized buffers kept for reuse (the writer holds at most three
/// packs at once: one filling, one waiting, one uploading).
public final class PackBufferPool: Sendable {
    private struct Free: @unchecked Sendable {
        // Raw memory owned by the pool while it is here; never aliased.
        var base: UnsafeMutableRawPointer
        var capacity: Int
    }

    private let free = Mutex<[Free]>([])
    private let keep: Int

    public init(keep: Int = 4) { self.keep = keep }

    func take(capacity: Int) -> PackBuffer {
        if let reused = free.withLock({ list -> Free? in
            guard let index = list.firstIndex(where: { $0.capacity >= capacity }) else { return nil }
            return list.remove(at: index)
        }) {
            return PackBuffer(reusing: reused.base, capacity: reused.capacity, pool: self)
        }
        return PackBuffer(capacity: capacity, pool: self)
    }

    fileprivate func give(_ base: UnsafeMutableRawPointer, capacity: Int) {
        let kept = free.withLock { list -> Bool in
            guard list.count < keep else { return false }
            list.append(Free(base: base, capacity: capacity))
            return true
        }
        if !kept { base.deallocate() }
    }

    deinit {
        for entry in free.withLock({ $0 }) { entry.base.deallocate() }
    }
}
