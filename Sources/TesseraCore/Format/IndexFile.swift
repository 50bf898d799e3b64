import Foundation

/// `index/<id>`: which blobs live in which pack, sealed.
///
/// `supersedes` names index files this one replaces (prune writes a new index
/// then deletes the ones it supersedes; a reader that sees both trusts this one).
public struct IndexFile: Sendable {
    public static let version: UInt8 = 1

    public struct Pack: Sendable, Hashable {
        public var id: ID
        public var size: UInt64
        public var blobs: [PackedBlob]
        public init(id: ID, size: UInt64, blobs: [PackedBlob]) {
            self.id = id
            self.size = size
            self.blobs = blobs
        }
    }

    public var packs: [Pack]
    public var supersedes: [ID]

    public init(packs: [Pack], supersedes: [ID] = []) {
        self.packs = packs
        self.supersedes = supersedes
    }

    public func encode() -> [UInt8] {
        var writer = BinaryWriter(capacity: 64 + packs.reduce(0) { $0 + 48 + $1.blobs.count * 48 })
        writer.byte(IndexFile.version)
        writer.varint(supersedes.count)
        for id in supersedes { writer.id(id) }
        writer.varint(packs.count)
        for pack in packs {
            writer.id(pack.id)
            writer.varint(pack.size)
            writer.lengthPrefixed(PackFormat.encodeHeader(pack.blobs))
        }
        return writer.bytes
    }

    public static func decode(_ plaintext: Data) throws -> IndexFile {
        var reader = BinaryReader(plaintext)
        let version = try reader.byte()
        guard version == IndexFile.version else { throw FormatError.unknownVersion(object: "index", version: Int(version)) }
        let supersededCount = try reader.count(limit: plaintext.count / 32)
        let supersedes = try (0..<supersededCount).map { _ in try reader.id() }
        let packCount = try reader.count(limit: plaintext.count / 32)
        var packs = [Pack]()
        packs.reserveCapacity(packCount)
        for _ in 0..<packCount {
            let id = try reader.id()
            let size = try reader.varint()
            let blobs = try PackFormat.decodeHeader(Data(try reader.lengthPrefixed()))
            packs.append(Pack(id: id, size: size, blobs: blobs))
        }
        guard reader.isAtEnd else { throw FormatError.malformed("trailing bytes in index") }
        return IndexFile(packs: packs, supersedes: supersedes)
    }
}
