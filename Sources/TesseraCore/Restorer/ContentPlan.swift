import Foundation

/// Where every chunk of a batch of files goes, grouped by the pack that holds
/// it: a restore then reads each pack once, in a few runs of neighbouring
/// blobs, and decodes each blob once however many files (or places in one
/// file) hold it. Reading file by file instead fetches a pack again for every
/// file that needs part of it, which over S3 means a request per file.
public struct ContentPlan: Sendable {
    /// A place to write a chunk: a file of the batch and an offset in it.
    public struct Target: Sendable, Equatable {
        public var file: Int
        public var offset: UInt64
    }

    /// One blob and everywhere its plaintext goes.
    public struct BlobWrite: Sendable {
        public var location: LocalIndex.BlobLocation
        public var targets: [Target]
    }

    /// One contiguous range of a pack, and the blobs in it (by offset).
    public struct PackRead: Sendable {
        public var pack: ID
        public var range: Range<Int64>
        public var blobs: [BlobWrite]
    }

    /// A chunk no pack holds, by the place it should have gone.
    public struct Missing: Sendable, Equatable {
        public var target: Target
        public var length: UInt64
        public var id: ID
    }

    public var reads: [PackRead]
    public var missing: [Missing]

    /// Blobs closer than this are read in one run: fetching a small gap costs
    /// less than another request.
    public static let defaultMergeGap: Int64 = 1 << 20
    /// Runs are cut at this length, so memory stays bounded whatever the pack size.
    public static let defaultMaxRead: Int64 = 32 << 20

    /// Plans the chunks of `files`, with their locations from `index` (looked
    /// up in one read transaction); chunks no pack holds are `missing`.
    public init(files: [[ContentPiece]], index: LocalIndex, mergeGap: Int64 = defaultMergeGap) throws {
        let ids = files.lazy.flatMap { $0 }.compactMap { piece -> ID? in
            if case .chunk(let id, _) = piece { id } else { nil }
        }
        let locations = try index.firstLocations(of: ids)
        try self.init(files: files, mergeGap: mergeGap) { locations[$0] }
    }

    /// Plans the chunks of `files` (each a list of content pieces from offset 0).
    /// `locate` gives the pack location of a blob, nil when no pack holds it.
    public init(
        files: [[ContentPiece]],
        mergeGap: Int64 = defaultMergeGap,
        maxRead: Int64 = defaultMaxRead,
        locate: (ID) throws -> LocalIndex.BlobLocation?
    ) throws {
        var byPack: [ID: [ID: BlobWrite]] = [:]
        var packOrder: [ID] = []
        var missing: [Missing] = []
        for (file, pieces) in files.enumerated() {
            var offset: UInt64 = 0
            for piece in pieces {
                defer { offset += piece.length }
                guard case .chunk(let id, let length) = piece else { continue }
                let target = Target(file: file, offset: offset)
                // An offset past Int64 is a damaged index entry: as good as missing.
                guard let location = try locate(id), Int64(exactly: location.blob.offset) != nil else {
                    missing.append(Missing(target: target, length: UInt64(length), id: id))
                    continue
                }
                if byPack[location.pack] == nil { packOrder.append(location.pack) }
                byPack[location.pack, default: [:]][id, default: BlobWrite(location: location, targets: [])].targets.append(target)
            }
        }
        var reads: [PackRead] = []
        // Packs in the order the files first need them, so early files finish early.
        for pack in packOrder {
            let blobs = (byPack[pack] ?? [:]).values.sorted { $0.location.blob.offset < $1.location.blob.offset }
            for blob in blobs {
                let start = Int64(blob.location.blob.offset)
                let end = start + Int64(blob.location.blob.length)
                // Extended in place: copying the run out and back would copy its blobs each time.
                if let last = reads.indices.last, reads[last].pack == pack,
                   start - reads[last].range.upperBound <= mergeGap, end - reads[last].range.lowerBound <= maxRead {
                    reads[last].range = reads[last].range.lowerBound..<max(reads[last].range.upperBound, end)
                    reads[last].blobs.append(blob)
                } else {
                    reads.append(PackRead(pack: pack, range: start..<end, blobs: [blob]))
                }
            }
        }
        self.reads = reads
        self.missing = missing
    }
}

extension ContentPlan.PackRead {
    /// The sealed bytes of `blob`, cut from `sealed` (the bytes of this read's range).
    public func sealedBytes(of blob: ContentPlan.BlobWrite, in sealed: Data) throws -> Data {
        let start = sealed.startIndex + Int(Int64(blob.location.blob.offset) - range.lowerBound)
        let end = start + Int(blob.location.blob.length)
        guard start >= sealed.startIndex, end <= sealed.endIndex else {
            throw TesseraError.damaged(object: "pack \(pack.short)", detail: "shorter than its index says")
        }
        return sealed.subdata(in: start..<end)
    }
}
