import Foundation
import GRDB

/// The local SQLite database: an index and cache of the repository (design.md
/// "The local SQLite database"). Everything in it can be rebuilt from the
/// repository, so deleting it loses nothing (invariant 6).
///
/// A `DatabasePool` in WAL mode: readers (a mount, a restore) run while one
/// writer writes, and several tessera processes can share the file.
public final class LocalIndex: Sendable {
    public let path: String
    private let pool: DatabasePool

    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        // Several tessera processes may use one cache: wait for the writer instead of failing.
        configuration.busyMode = .timeout(60)
        configuration.prepareDatabase { db in
            // 8 MiB per connection: GRDB's pool may open several, and each counts in the peak RSS.
            try db.execute(sql: "PRAGMA cache_size = -8192")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let folder = (path as NSString).deletingLastPathComponent
        if let reason = PathCreation.makeDirectories(folder, mode: 0o700) {
            throw TesseraError.failed("cannot create the cache folder \(folder): \(reason). Pass another --cache-dir")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw TesseraError.failed("cannot open the local index \(path): \(error). Remove that file (it is only a cache) or pass another --cache-dir")
        }
    }

    /// Asks the kernel to read the database file into the page cache in the
    /// background. The mount answers listings with many small point reads;
    /// from a cold disk each is a seek, from the page cache a memcpy.
    public func prefetchIntoPageCache() {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_WILLNEED)
        close(descriptor)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE index_files (id BLOB PRIMARY KEY NOT NULL) WITHOUT ROWID;
                CREATE TABLE packs (
                    id BLOB PRIMARY KEY NOT NULL,
                    size INTEGER NOT NULL,
                    index_id BLOB
                ) WITHOUT ROWID;
                CREATE INDEX packs_by_index ON packs(index_id);
                CREATE TABLE blobs (
                    id BLOB NOT NULL,
                    pack_id BLOB NOT NULL,
                    type INTEGER NOT NULL,
                    offset INTEGER NOT NULL,
                    length INTEGER NOT NULL,
                    raw_length INTEGER NOT NULL,
                    PRIMARY KEY (id, pack_id)
                ) WITHOUT ROWID;
                CREATE INDEX blobs_by_pack ON blobs(pack_id);
                CREATE TABLE snapshots (
                    id BLOB PRIMARY KEY NOT NULL,
                    time REAL NOT NULL,
                    host TEXT NOT NULL,
                    json BLOB NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE trees (id BLOB PRIMARY KEY NOT NULL, data BLOB NOT NULL) WITHOUT ROWID;
                """)
        }
        return migrator
    }

    // MARK: Blobs and packs

    // Point lookups use `unsafeRead`: a single SELECT is atomic in SQLite, and
    // skipping GRDB's BEGIN/COMMIT around each one halves the cost of the
    // lookup that every chunk and every unchanged file makes.

    /// Where a blob can be read: one pack that holds it.
    public struct BlobLocation: Sendable, Hashable {
        public var pack: ID
        public var blob: PackedBlob
    }

    /// Every pack that holds a blob (more than one after concurrent backups).
    public func locations(of id: ID) throws -> [BlobLocation] {
        try pool.unsafeRead { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT pack_id, type, offset, length, raw_length FROM blobs WHERE id = ?"), arguments: [id.data])
                .map { try Self.location($0, id: id) }
        }
    }

    /// One location of each blob that a pack holds, looked up in one read
    /// transaction (a restore asks for every chunk of tens of thousands of files).
    public func firstLocations(of ids: some Sequence<ID>) throws -> [ID: BlobLocation] {
        try pool.read { db in
            let statement = try db.cachedStatement(sql: "SELECT pack_id, type, offset, length, raw_length FROM blobs WHERE id = ? LIMIT 1")
            var found = [ID: BlobLocation]()
            for id in ids where found[id] == nil {
                if let row = try Row.fetchOne(statement, arguments: [id.data]) { found[id] = try Self.location(row, id: id) }
            }
            return found
        }
    }

    /// Whether some pack holds the blob. With `indexedOnly`, only packs that an
    /// index file in the repository names count: what a new snapshot may rely
    /// on, since packs no index names are what prune removes.
    public func contains(_ id: ID, indexedOnly: Bool = false) throws -> Bool {
        try pool.unsafeRead { db in
            let sql = indexedOnly
                ? "SELECT EXISTS(SELECT 1 FROM blobs JOIN packs ON packs.id = blobs.pack_id WHERE blobs.id = ? AND packs.index_id IS NOT NULL)"
                : "SELECT EXISTS(SELECT 1 FROM blobs WHERE id = ?)"
            return try Bool.fetchOne(db.cachedStatement(sql: sql), arguments: [id.data]) ?? false
        }
    }

    private static func location(_ row: Row, id: ID) throws -> BlobLocation {
        guard let pack = ID(bytes: row[0] as Data), let type = BlobType(rawValue: UInt8(clamping: row[1] as Int)) else {
            throw TesseraError.failed("the local index is corrupt; remove the cache folder and run the command again")
        }
        return BlobLocation(pack: pack, blob: PackedBlob(type: type, id: id, offset: row[2], length: row[3], rawLength: row[4]))
    }

    /// Records packs described by an index file (or, with `indexID` nil, read from pack headers).
    public func addPacks(_ packs: [IndexFile.Pack], indexID: ID?) throws {
        try pool.write { db in
            for pack in packs {
                try db.execute(sql: "INSERT OR REPLACE INTO packs (id, size, index_id) VALUES (?, ?, ?)", arguments: [pack.id.data, Int64(pack.size), indexID?.data])
                let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO blobs (id, pack_id, type, offset, length, raw_length) VALUES (?, ?, ?, ?, ?, ?)")
                for blob in pack.blobs {
                    try statement.execute(arguments: [blob.id.data, pack.id.data, Int(blob.type.rawValue), Int64(blob.offset), Int64(blob.length), Int64(blob.rawLength)])
                }
            }
            if let indexID {
                try db.execute(sql: "INSERT OR IGNORE INTO index_files (id) VALUES (?)", arguments: [indexID.data])
            }
        }
    }

    public func knownIndexFiles() throws -> Set<ID> {
        try pool.read { db in Set(try Data.fetchAll(db, sql: "SELECT id FROM index_files").compactMap { ID(bytes: $0) }) }
    }

    /// Forgets an index file that left the repository, with the packs it described.
    public func removeIndexFile(_ id: ID) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM blobs WHERE pack_id IN (SELECT id FROM packs WHERE index_id = ?)", arguments: [id.data])
            try db.execute(sql: "DELETE FROM packs WHERE index_id = ?", arguments: [id.data])
            try db.execute(sql: "DELETE FROM index_files WHERE id = ?", arguments: [id.data])
        }
    }

    /// Empties the blob index (before a rebuild from pack headers).
    public func removeAllPacks() throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM blobs; DELETE FROM packs; DELETE FROM index_files;")
        }
    }

    public struct PackRecord: Sendable, Hashable {
        public var id: ID
        public var size: Int64
        public var indexID: ID?
    }

    public func packs() throws -> [PackRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, size, index_id FROM packs").compactMap { row in
                guard let id = ID(bytes: row[0] as Data) else { return nil }
                return PackRecord(id: id, size: row[1], indexID: (row[2] as Data?).flatMap { ID(bytes: $0) })
            }
        }
    }

    /// Whether any pack is known: one row looked at, not the whole table.
    public func hasPacks() throws -> Bool {
        try pool.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM packs)") ?? false }
    }

    public func blobs(inPack pack: ID) throws -> [PackedBlob] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, type, offset, length, raw_length FROM blobs WHERE pack_id = ? ORDER BY offset", arguments: [pack.data]).compactMap { row in
                guard let id = ID(bytes: row[0] as Data), let type = BlobType(rawValue: UInt8(clamping: row[1] as Int)) else { return nil }
                return PackedBlob(type: type, id: id, offset: row[2], length: row[3], rawLength: row[4])
            }
        }
    }

    public struct Totals: Sendable {
        public var packs: Int
        public var packBytes: Int64
        public var blobs: [BlobType: (count: Int, stored: Int64, raw: Int64)]
    }

    public func totals() throws -> Totals {
        try pool.read { db in
            let packRow = try Row.fetchOne(db, sql: "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM packs")
            var totals = Totals(packs: packRow?[0] ?? 0, packBytes: packRow?[1] ?? 0, blobs: [:])
            // Count each blob once even when several packs hold it.
            for row in try Row.fetchAll(db, sql: """
                SELECT type, COUNT(*), SUM(length), SUM(raw_length) FROM
                  (SELECT type, MIN(length) AS length, MIN(raw_length) AS raw_length FROM blobs GROUP BY id, type)
                GROUP BY type
                """) {
                if let type = BlobType(rawValue: UInt8(clamping: row[0] as Int)) {
                    totals.blobs[type] = (row[1], row[2], row[3])
                }
            }
            return totals
        }
    }

    // MARK: Snapshots

    public func knownSnapshots() throws -> Set<ID> {
        try pool.read { db in Set(try Data.fetchAll(db, sql: "SELECT id FROM snapshots").compactMap { ID(bytes: $0) }) }
    }

    public func addSnapshot(_ id: ID, _ snapshot: Snapshot) throws {
        let json = try JSONCoding.encoder.encode(snapshot)
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO snapshots (id, time, host, json) VALUES (?, ?, ?, ?)",
                           arguments: [id.data, snapshot.time.timeIntervalSince1970, snapshot.host, json])
        }
    }

    public func removeSnapshot(_ id: ID) throws {
        try pool.write { db in try db.execute(sql: "DELETE FROM snapshots WHERE id = ?", arguments: [id.data]) }
    }

    /// All snapshots, oldest first.
    public func snapshots() throws -> [(id: ID, snapshot: Snapshot)] {
        let rows = try pool.read { db in try Row.fetchAll(db, sql: "SELECT id, json FROM snapshots ORDER BY time, id") }
        let decoder = JSONCoding.decoder
        return rows.compactMap { row in
            guard let id = ID(bytes: row[0] as Data), let snapshot = try? decoder.decode(Snapshot.self, from: row[1] as Data) else { return nil }
            return (id, snapshot)
        }
    }

    // MARK: Decoded trees

    public func tree(_ id: ID) throws -> Data? {
        try pool.unsafeRead { db in try Data.fetchOne(db.cachedStatement(sql: "SELECT data FROM trees WHERE id = ?"), arguments: [id.data]) }
    }

    /// Records several decoded trees in one transaction.
    public func addTrees(_ trees: [(id: ID, plaintext: Data)]) throws {
        guard !trees.isEmpty else { return }
        try pool.write { db in
            let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO trees (id, data) VALUES (?, ?)")
            for tree in trees { try statement.execute(arguments: [tree.id.data, tree.plaintext]) }
        }
    }

    public func addTree(_ id: ID, plaintext: Data) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO trees (id, data) VALUES (?, ?)", arguments: [id.data, plaintext])
        }
    }
}
