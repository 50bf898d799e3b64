import Foundation

/// The listing of one directory: its entries sorted by name bytes.
///
/// Trees are blobs of type `tree`, content-addressed like chunks, so an
/// unchanged directory encodes to the same bytes and the same id in every
/// snapshot. The encoding is in docs/format.md.
public struct Tree: Hashable, Sendable {
    public static let version: UInt8 = 1
    public var nodes: [Node]

    /// Sorts by name unless already sorted (folder listings arrive sorted, so
    /// a backup pays one linear check per folder, not a sort).
    public init(nodes: [Node]) {
        let ordered = zip(nodes, nodes.dropFirst()).allSatisfy { !$1.name.lexicographicallyPrecedes($0.name) }
        self.nodes = ordered ? nodes : nodes.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    public func node(named name: [UInt8]) -> Node? {
        index(of: name).map { nodes[$0] }
    }

    /// The place of the node called `name` in `nodes`, or nil.
    public func index(of name: [UInt8]) -> Int? {
        let position = position(of: name)
        return position < nodes.count && nodes[position].name == name ? position : nil
    }

    /// Where `name` is or would be in the sorted nodes (binary search).
    public func position(of name: [UInt8]) -> Int {
        var low = 0
        var high = nodes.count
        while low < high {
            let mid = (low + high) / 2
            if nodes[mid].name.lexicographicallyPrecedes(name) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    public func encode() -> Data {
        var writer = BinaryWriter(capacity: 64 + nodes.count * 128)
        writer.byte(Tree.version)
        writer.varint(nodes.count)
        for node in nodes { Tree.encode(node, into: &writer) }
        return Data(writer.bytes)
    }

    public static func decode(_ data: Data) throws -> Tree {
        var reader = BinaryReader(data)
        let version = try reader.byte()
        guard version == Tree.version else { throw FormatError.unknownVersion(object: "tree", version: Int(version)) }
        let count = try reader.count(limit: data.count)
        var nodes = [Node]()
        nodes.reserveCapacity(count)
        for _ in 0..<count {
            let node = try decodeNode(&reader)
            if let previous = nodes.last, !previous.name.lexicographicallyPrecedes(node.name) {
                throw FormatError.malformed("tree entries are not strictly sorted by name")
            }
            nodes.append(node)
        }
        guard reader.isAtEnd else { throw FormatError.malformed("trailing bytes in tree") }
        return Tree(nodes: nodes)  // checked sorted above, so kept as stored
    }

    private static func encode(_ node: Node, into writer: inout BinaryWriter) {
        writer.lengthPrefixed(node.name)
        writer.byte(node.type.rawValue)
        writer.varint(UInt64(node.mode))
        writer.varint(UInt64(node.uid))
        writer.varint(UInt64(node.gid))
        writer.string(node.user)
        writer.string(node.group)
        writer.time(node.mtime)
        writer.time(node.ctime)
        writer.time(node.atime)
        writer.varint(node.size)
        writer.lengthPrefixed(node.linkTarget)
        writer.varint(node.xattrs.count)
        for attribute in node.xattrs {
            writer.lengthPrefixed(attribute.name)
            writer.lengthPrefixed(attribute.value)
        }
        writer.varint(node.device)
        writer.varint(node.inode)
        writer.varint(node.links)
        writer.varint(node.rdev)
        writer.varint(node.content.count)
        for piece in node.content {
            switch piece {
            case .chunk(let id, let length):
                writer.byte(0)
                writer.id(id)
                writer.varint(UInt64(length))
            case .hole(let length):
                writer.byte(1)
                writer.varint(length)
            }
        }
        if let subtree = node.subtree {
            writer.byte(1)
            writer.id(subtree)
        } else {
            writer.byte(0)
        }
    }

    private static func decodeNode(_ reader: inout BinaryReader) throws -> Node {
        let name = try reader.lengthPrefixed()
        let rawType = try reader.byte()
        guard let type = NodeType(rawValue: rawType) else { throw FormatError.malformed("unknown node type \(rawType)") }
        var node = Node(name: name, type: type)
        node.mode = try UInt32(exactly: reader.varint()).orThrow("mode")
        node.uid = try UInt32(exactly: reader.varint()).orThrow("uid")
        node.gid = try UInt32(exactly: reader.varint()).orThrow("gid")
        node.user = try reader.string()
        node.group = try reader.string()
        node.mtime = try reader.time()
        node.ctime = try reader.time()
        node.atime = try reader.time()
        node.size = try reader.varint()
        node.linkTarget = try reader.lengthPrefixed()
        let xattrCount = try reader.count(limit: 1 << 16)
        node.xattrs = try (0..<xattrCount).map { _ in
            ExtendedAttribute(name: try reader.lengthPrefixed(), value: try reader.lengthPrefixed())
        }
        node.device = try reader.varint()
        node.inode = try reader.varint()
        node.links = try reader.varint()
        node.rdev = try reader.varint()
        let pieceCount = try reader.count(limit: 1 << 28)
        node.content.reserveCapacity(pieceCount)
        for _ in 0..<pieceCount {
            switch try reader.byte() {
            case 0:
                let id = try reader.id()
                node.content.append(.chunk(id, length: try UInt32(exactly: reader.varint()).orThrow("chunk length")))
            case 1:
                node.content.append(.hole(length: try reader.varint()))
            case let tag:
                throw FormatError.malformed("unknown content piece \(tag)")
            }
        }
        switch try reader.byte() {
        case 0: break
        case 1: node.subtree = try reader.id()
        case let flag: throw FormatError.malformed("bad subtree flag \(flag)")
        }
        return node
    }
}

extension Optional {
    func orThrow(_ field: String) throws -> Wrapped {
        guard let value = self else { throw FormatError.malformed("\(field) out of range") }
        return value
    }
}
