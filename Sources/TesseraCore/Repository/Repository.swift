import Crypto
import Foundation
import Logging

/// An open repository: its backend, its keys and parameters, and the local
/// index that answers questions about it.
public final class Repository: Sendable {
    public let backend: any Backend
    public let config: RepositoryConfig
    public let master: MasterKey
    /// The key object that opened this repository.
    public let keyID: ID
    public let index: LocalIndex
    public let codec: BlobCodec
    public let gear: GearTable
    public let logger: Logger

    init(backend: any Backend, config: RepositoryConfig, master: MasterKey, keyID: ID, index: LocalIndex, logger: Logger) throws {
        self.backend = backend
        self.config = config
        self.master = master
        self.keyID = keyID
        self.index = index
        self.codec = BlobCodec(master: master, compressionLevel: config.compressionLevel)
        self.gear = try GearTable.derived(from: config.chunkerSeed)
        self.logger = logger
    }

    public struct InitOptions: Sendable {
        public var chunker = ChunkerParameters.default
        public var compressionLevel = 3
        public var packSize = 16 << 20
        public var kdf = PasswordKDF()
        public init() {}
    }

    /// Creates a new repository; refuses when one exists at that location.
    public static func initialize(backend: any Backend, password: String, options: InitOptions, cacheRoot: String, logger: Logger) async throws -> Repository {
        let hasConfig = try await backend.exists(.config)
        let hasKeys = try await !backend.list(.key).isEmpty
        if hasConfig || hasKeys {
            throw TesseraError.repositoryExists(location: backend.location)
        }
        if let problem = options.chunker.validationError { throw TesseraError.invalidArgument(problem) }
        guard (1...22).contains(options.compressionLevel) else {
            throw TesseraError.invalidArgument("compression level must be between 1 and 22")
        }
        try await backend.create()
        let master = MasterKey.generate()
        let config = RepositoryConfig.fresh(chunkerParameters: options.chunker, compressionLevel: options.compressionLevel, packSize: options.packSize)
        try config.validate()
        let keyFile = try KeyFile.wrap(master, password: password, kdf: options.kdf, host: SystemIdentity.hostName, username: SystemIdentity.userName)
        let keyID = ID.random()
        // The key first: a config without a key could never be opened.
        try await backend.save(ObjectHandle(kind: .key, id: keyID), data: try JSONCoding.encoder.encode(keyFile))
        try await backend.save(.config, data: master.sealer.seal(try JSONCoding.encoder.encode(config), purpose: .config))
        let index = try LocalIndex(path: Self.indexPath(cacheRoot: cacheRoot, repositoryID: config.id))
        return try Repository(backend: backend, config: config, master: master, keyID: keyID, index: index, logger: logger)
    }

    /// Opens a repository with a password and brings the local index up to date.
    public static func open(backend: any Backend, password: String, cacheRoot: String, logger: Logger, synchronize: Bool = true) async throws -> Repository {
        // One GET, not a HEAD and a GET: every request counts on a remote backend.
        let sealedConfig: Data
        do {
            sealedConfig = try await backend.load(.config)
        } catch BackendError.notFound {
            throw TesseraError.repositoryNotFound(location: backend.location)
        }
        let (keyID, payload) = try await unlockKey(backend: backend, password: password)
        let master = payload.masterKey
        let config = try decoding("config") {
            try JSONCoding.decoder.decode(RepositoryConfig.self, from: try master.sealer.open(sealedConfig, purpose: .config))
        }
        try config.validate()
        let index = try LocalIndex(path: indexPath(cacheRoot: cacheRoot, repositoryID: config.id))
        let repository = try Repository(backend: backend, config: config, master: master, keyID: keyID, index: index, logger: logger)
        if synchronize { try await repository.synchronizeIndex() }
        return repository
    }

    /// Finds the key object this password opens.
    static func unlockKey(backend: any Backend, password: String) async throws -> (ID, KeyFile.Payload) {
        let keys = try await backend.list(.key)
        var unusable: TesseraError?
        for info in keys.sorted(by: { $0.handle.name < $1.handle.name }) {
            guard let id = ID(hex: info.handle.name) else { continue }
            let keyFile: KeyFile
            do {
                keyFile = try JSONCoding.decoder.decode(KeyFile.self, from: try await backend.load(info.handle))
            } catch {
                continue  // a damaged or foreign key object: another key may still open the repository
            }
            do {
                if let payload = try keyFile.unwrap(password: password) { return (id, payload) }
            } catch let error as TesseraError {
                unusable = unusable ?? error
            }
        }
        // Only when no key could even be tried is the reason something other than the password.
        if let unusable, keys.count == 1 { throw unusable }
        throw TesseraError.wrongPassword
    }

    /// This repository's folder in the cache: its index, and the mount's blob cache.
    public static func cacheFolder(cacheRoot: String, repositoryID: String) -> String {
        (cacheRoot as NSString).appendingPathComponent(repositoryID)
    }

    public static func indexPath(cacheRoot: String, repositoryID: String) -> String {
        cacheFolder(cacheRoot: cacheRoot, repositoryID: repositoryID) + "/index.sqlite"
    }

    // MARK: Reading blobs

    /// Loads, decrypts, decompresses and verifies one blob.
    public func loadBlob(_ id: ID) async throws -> Data {
        let locations = try index.locations(of: id)
        guard !locations.isEmpty else { throw TesseraError.blobMissing(id) }
        var lastError: Error?
        // When several packs hold the blob, a damaged copy does not make it unreadable.
        for location in locations {
            do {
                return try await loadBlob(at: location)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? TesseraError.blobMissing(id)
    }

    public func loadBlob(at location: LocalIndex.BlobLocation) async throws -> Data {
        try decodeBlob(try await loadSealedBlob(at: location), at: location)
    }

    /// The blob's bytes as stored in its pack (sealed): a range load of just
    /// those bytes. Caches keep these, so a cache on disk holds nothing readable.
    public func loadSealedBlob(at location: LocalIndex.BlobLocation) async throws -> Data {
        let blob = location.blob
        guard let start = Int64(exactly: blob.offset) else { throw TesseraError.damaged(object: "index entry of blob \(blob.id.short)", detail: "offset out of range") }
        return try await loadPackRange(location.pack, start..<(start + Int64(blob.length)))
    }

    /// Bytes of a pack as stored, for readers that plan their own runs of blobs.
    public func loadPackRange(_ pack: ID, _ range: Range<Int64>) async throws -> Data {
        do {
            return try await backend.load(ObjectHandle(kind: .data, id: pack), range: range)
        } catch let error as BackendError {
            throw TesseraError.backend(operation: "read", object: "pack \(pack.short)", detail: "\(error)")
        }
    }

    /// Opens, decompresses and verifies a sealed blob against its id.
    public func decodeBlob(_ sealed: Data, at location: LocalIndex.BlobLocation) throws -> Data {
        let blob = location.blob
        return try Self.decoding("blob \(blob.id.short) in pack \(location.pack.short)") {
            try codec.decode(sealed, id: blob.id, rawLength: Int(blob.rawLength))
        }
    }

    /// A directory listing, from the local index when it was decoded before.
    public func loadTree(_ id: ID) async throws -> Tree {
        if let plaintext = try index.tree(id), let tree = try? Tree.decode(plaintext) {
            return tree
        }
        let plaintext = try await loadBlob(id)
        let tree: Tree
        do {
            tree = try Tree.decode(plaintext)
        } catch {
            throw TesseraError.damaged(object: "tree \(id.short)", detail: "\(error)")
        }
        try index.addTree(id, plaintext: plaintext)
        return tree
    }

    // MARK: Snapshots

    public func saveSnapshot(_ snapshot: Snapshot) async throws -> ID {
        let id = ID.random()
        let sealed = master.sealer.seal(try JSONCoding.encoder.encode(snapshot), purpose: .snapshot)
        try await backend.save(ObjectHandle(kind: .snapshot, id: id), data: sealed)
        try index.addSnapshot(id, snapshot)
        return id
    }

    public func loadSnapshot(_ handle: ObjectHandle) async throws -> Snapshot {
        let sealed = try await backend.load(handle)
        return try Self.decoding("snapshot \(handle.name.prefix(8))") {
            try JSONCoding.decoder.decode(Snapshot.self, from: try master.sealer.open(sealed, purpose: .snapshot))
        }
    }

    /// Runs a decoder and names what failed: an unknown version is an
    /// unsupported format (upgrade tessera), anything else is damage.
    static func decoding<T>(_ object: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let FormatError.unknownVersion(_, version), let SealError.unknownVersion(version) {
            throw TesseraError.unsupportedFormat(object: object, detail: "version \(version)")
        } catch let error as TesseraError {
            throw error
        } catch {
            throw TesseraError.damaged(object: object, detail: "\(error)")
        }
    }

    public func snapshots() throws -> [(id: ID, snapshot: Snapshot)] { try index.snapshots() }

    /// Resolves a full id, a unique prefix of at least 8 hex digits, or `latest`
    /// (the newest, after the optional host and path filters).
    public func resolveSnapshot(_ name: String, host: String? = nil, paths: [String] = []) throws -> (id: ID, snapshot: Snapshot) {
        let all = try snapshots()
        if name == "latest" {
            let matching = all.filter { entry in
                (host == nil || entry.snapshot.host == host) && (paths.isEmpty || Set(entry.snapshot.pathStrings) == Set(paths))
            }
            guard let newest = matching.max(by: { $0.snapshot.time < $1.snapshot.time }) else { throw TesseraError.snapshotNotFound(name) }
            return newest
        }
        let prefix = name.lowercased()
        guard prefix.count >= 8 || prefix.count == 64, HexCoding.decode(prefix.count % 2 == 0 ? prefix : prefix + "0") != nil else {
            throw TesseraError.invalidArgument("\"\(name)\" is not a snapshot id: give `latest`, or 8 or more hex digits of an id")
        }
        let matches = all.filter { $0.id.hex.hasPrefix(prefix) }
        guard let first = matches.first else { throw TesseraError.snapshotNotFound(name) }
        guard matches.count == 1 else { throw TesseraError.snapshotAmbiguous(name) }
        return first
    }
}

/// Host and user names recorded in snapshots, keys and locks.
public enum SystemIdentity {
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static var userName: String {
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return String(getuid())
    }
}
