import Foundation

/// The plaintext inside a sealed blob: `compression (1 byte) | payload`, where
/// compression 0 is raw and 1 is a zstd frame. Incompressible data is stored raw.
public struct BlobCodec: Sendable {
    public static let raw: UInt8 = 0
    public static let zstd: UInt8 = 1

    public let codec: ZstdCodec
    public let master: MasterKey

    public init(master: MasterKey, compressionLevel: Int) {
        self.master = master
        self.codec = ZstdCodec(level: compressionLevel)
    }

    /// Compresses (when it helps) and seals a blob's plaintext.
    public func encode(_ plaintext: Data) -> Data {
        if let framed = codec.compress(plaintext, prefix: BlobCodec.zstd) {
            return master.sealer.seal(framed, purpose: .blob)
        }
        var framed = Data(capacity: plaintext.count + 1)
        framed.append(BlobCodec.raw)
        framed.append(plaintext)
        return master.sealer.seal(framed, purpose: .blob)
    }

    /// Opens and decompresses a sealed blob, and checks that its plaintext has the expected id.
    public func decode(_ sealed: Data, id: ID, rawLength: Int) throws -> Data {
        let framed = try master.sealer.open(sealed, purpose: .blob)
        guard let marker = framed.first else { throw FormatError.truncated }
        let payload = framed.dropFirst()
        let plaintext: Data
        switch marker {
        case BlobCodec.raw: plaintext = Data(payload)
        case BlobCodec.zstd: plaintext = try codec.decompress(payload, expectedSize: rawLength)
        default: throw FormatError.malformed("unknown compression \(marker)")
        }
        guard plaintext.count == rawLength, master.blobID(of: plaintext) == id else {
            throw FormatError.malformed("content does not match blob id \(id.short)")
        }
        return plaintext
    }
}
