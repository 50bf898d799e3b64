import Foundation
import Testing
@testable import TesseraCore

@Suite("Formats")
struct FormatTests {
    static func sampleNode(_ name: String, type: NodeType = .file) -> Node {
        Node(
            name: Array(name.utf8) + [0xff], type: type, mode: 0o4755, uid: 1234, gid: 5678, user: "ünïcode", group: "g",
            mtime: FileTime(seconds: -12_345, nanoseconds: 999_999_999), ctime: FileTime(seconds: 1_700_000_000, nanoseconds: 1),
            atime: FileTime(seconds: 0, nanoseconds: 5), size: 3 << 20, linkTarget: [0x2f, 0x00, 0x80],
            xattrs: [ExtendedAttribute(name: Array("user.a".utf8), value: [0, 1, 2, 255])],
            device: 0xfd01, inode: .max, links: 2, rdev: 0x0801,
            content: [.chunk(ID.random(), length: 1 << 20), .hole(length: 1 << 40), .chunk(ID.random(), length: 7)],
            subtree: type == .directory ? ID.random() : nil
        )
    }

    @Test func treeRoundTripKeepsEveryField() throws {
        let tree = Tree(nodes: [Self.sampleNode("b"), Self.sampleNode("a", type: .directory), Self.sampleNode("c", type: .symlink)])
        let decoded = try Tree.decode(tree.encode())
        #expect(decoded == tree)
        #expect(decoded.nodes.map(\.name.first) == [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "c")])
        #expect(decoded.node(named: Array("b".utf8) + [0xff]) == tree.nodes[1])
    }

    @Test func equalTreesEncodeToEqualBytes() {
        let nodes = [Self.sampleNode("x"), Self.sampleNode("y")]
        #expect(Tree(nodes: nodes).encode() == Tree(nodes: nodes.reversed()).encode())
    }

    @Test func treeWithDuplicateOrUnsortedNamesIsRefused() throws {
        var tree = Tree(nodes: [Self.sampleNode("a"), Self.sampleNode("b")])
        tree.nodes.reverse()
        #expect(throws: FormatError.self) { try Tree.decode(tree.encode()) }
        tree.nodes = [Self.sampleNode("a"), Self.sampleNode("a")]
        #expect(throws: FormatError.self) { try Tree.decode(tree.encode()) }
    }

    @Test func truncatedOrCorruptEncodingsThrowAndNeverCrash() {
        let encoded = [UInt8](Tree(nodes: [Self.sampleNode("a"), Self.sampleNode("b", type: .directory)]).encode())
        var generator = SystemRandomNumberGenerator()
        for length in 0..<encoded.count {
            #expect(throws: (any Error).self) { try Tree.decode(Data(encoded[0..<length])) }
        }
        // Random byte flips must either decode to something or throw; never trap.
        for _ in 0..<2000 {
            var bytes = encoded
            bytes[Int.random(in: 1..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            _ = try? Tree.decode(Data(bytes))
        }
    }

    @Test func unknownTreeVersionIsRefused() {
        var bytes = [UInt8](Tree(nodes: []).encode())
        bytes[0] = 99
        #expect(throws: FormatError.unknownVersion(object: "tree", version: 99)) { try Tree.decode(Data(bytes)) }
    }

    @Test func packHeaderAndIndexFileRoundTrip() throws {
        let master = MasterKey.generate()
        var builder = PackBuilder(capacity: 1 << 16)
        let blobs = (0..<5).map { index in Data((0..<(100 * (index + 1))).map { UInt8(truncatingIfNeeded: $0 * index) }) }
        for blob in blobs {
            builder.append(type: .data, id: master.blobID(of: blob), sealed: master.sealer.seal(blob, purpose: .blob), rawLength: blob.count)
        }
        let pack = builder.finish(sealer: master.sealer)
        #expect(pack.id == PackFormat.packID(of: pack.bytes))
        let header = try #require(try PackFormat.header(fromTail: pack.bytes, packSize: pack.bytes.count, sealer: master.sealer))
        #expect(header.blobs == pack.blobs)
        // A short tail says how much more to read.
        let partial = try #require(try PackFormat.header(fromTail: pack.bytes.suffix(8), packSize: pack.bytes.count, sealer: master.sealer))
        #expect(partial.blobs.isEmpty && partial.needed > 8)

        let index = IndexFile(packs: [IndexFile.Pack(id: pack.id, size: UInt64(pack.bytes.count), blobs: pack.blobs)], supersedes: [ID.random()])
        let decoded = try IndexFile.decode(Data(index.encode()))
        #expect(decoded.packs == index.packs && decoded.supersedes == index.supersedes)
    }

    @Test func packHeaderFromAnotherKeyIsRejected() throws {
        var builder = PackBuilder(capacity: 1024)
        builder.append(type: .tree, id: ID.random(), sealed: Data(repeating: 1, count: 64), rawLength: 10)
        let pack = builder.finish(sealer: MasterKey.generate().sealer)
        #expect(throws: (any Error).self) {
            try PackFormat.header(fromTail: pack.bytes, packSize: pack.bytes.count, sealer: MasterKey.generate().sealer)
        }
    }

    @Test func varintsAndZigzagRoundTrip() throws {
        var writer = BinaryWriter()
        let unsigned: [UInt64] = [0, 1, 127, 128, 300, .max]
        let signed: [Int64] = [0, -1, 1, .min, .max]
        for value in unsigned { writer.varint(value) }
        for value in signed { writer.signedVarint(value) }
        var reader = BinaryReader(writer.bytes)
        for value in unsigned { #expect(try reader.varint() == value) }
        for value in signed { #expect(try reader.signedVarint() == value) }
        #expect(reader.isAtEnd)
        var overlong = BinaryReader([UInt8](repeating: 0xff, count: 11))
        #expect(throws: FormatError.self) { try overlong.varint() }
    }

    @Test func timestampsRoundTripAndParseUserForms() throws {
        let date = Date(timeIntervalSince1970: 1_600_000_000.25)
        let parsed = try #require(Timestamp.parse(Timestamp.format(date)))
        #expect(abs(parsed.timeIntervalSince(date)) < 1e-6)
        #expect(Timestamp.parse("2020-01-02T03:04:05Z") == Date(timeIntervalSince1970: 1_577_934_245))
        #expect(Timestamp.parse("2020-01-02T05:04:05+02:00") == Date(timeIntervalSince1970: 1_577_934_245))
        #expect(Timestamp.parse("2020-01-02 03:04:05") != nil)
        #expect(Timestamp.parse("yesterday") == nil)
    }

    @Test func pathDisplayKeepsInvalidBytesDistinct() {
        #expect(PathBytes.display(Array("plain/ü".utf8)) == "plain/ü")
        #expect(PathBytes.display([0x61, 0xff, 0x62]) == "a\\xffb")
        #expect(PathBytes.display([0x5c, 0xff]) != PathBytes.display([0x5c, 0x5c, 0xff]))
        // A literal backslash is escaped too, so `f\xff` (5 bytes) never looks like f + 0xff.
        #expect(PathBytes.display(Array("f\\xff".utf8)) == "f\\\\xff")
        #expect(PathBytes.display(Array("f\\xff".utf8)) != PathBytes.display([0x66, 0xff]))
        #expect(!PathBytes.isSafeComponent(Array("..".utf8)) && !PathBytes.isSafeComponent(Array("a/b".utf8)) && !PathBytes.isSafeComponent([]))
        #expect(PathBytes.isSafeComponent([0xff, 0x0a]))
    }
}
