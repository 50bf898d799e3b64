import Foundation

/// `config`: the repository's parameters, sealed with the master key.
///
/// Every algorithm is named, so a later format can add others without
/// breaking repositories written by this one.
public struct RepositoryConfig: Codable, Sendable {
    public static let currentVersion = 1
    public static let chunkerName = "fastcdc-gear-v1"
    public static let idHashName = "hmac-sha256"
    public static let cipherName = "aes256gcm-hkdf-sha256"
    public static let compressionName = "zstd"

    public var version: Int
    /// The repository id (hex): names the local cache folder.
    public var id: String
    public var chunker: String
    public var chunkerParameters: ChunkerParameters
    /// Secret seed of the chunker's gear table (invariant 2).
    public var chunkerSeed: Data
    public var idHash: String
    public var cipher: String
    public var compression: String
    public var compressionLevel: Int
    /// Target pack size in bytes.
    public var packSize: Int

    public static func fresh(chunkerParameters: ChunkerParameters, compressionLevel: Int, packSize: Int) -> RepositoryConfig {
        RepositoryConfig(
            version: currentVersion, id: ID.random().hex,
            chunker: chunkerName, chunkerParameters: chunkerParameters, chunkerSeed: ID.random().data,
            idHash: idHashName, cipher: cipherName,
            compression: compressionName, compressionLevel: compressionLevel, packSize: packSize
        )
    }

    /// Refuses, with a clear message, anything this build cannot read or write.
    public func validate() throws {
        guard version == RepositoryConfig.currentVersion else {
            throw TesseraError.unsupportedFormat(object: "config", detail: "repository format version \(version)")
        }
        for (what, name, known) in [
            ("chunker", chunker, RepositoryConfig.chunkerName), ("id hash", idHash, RepositoryConfig.idHashName),
            ("cipher", cipher, RepositoryConfig.cipherName), ("compression", compression, RepositoryConfig.compressionName),
        ] where name != known {
            throw TesseraError.unsupportedFormat(object: "config", detail: "\(what) \"\(name)\"")
        }
        if let problem = chunkerParameters.validationError {
            throw TesseraError.damaged(object: "config", detail: problem)
        }
        guard ID(hex: id) != nil, chunkerSeed.count == 32, packSize >= 1 << 20, packSize <= 1 << 30 else {
            throw TesseraError.damaged(object: "config", detail: "invalid chunker seed or pack size")
        }
    }
}
