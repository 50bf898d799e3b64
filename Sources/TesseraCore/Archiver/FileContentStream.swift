import Foundation

/// Cuts a file into chunks region by region (holes of sparse files are
/// recorded, never read) and collects the resulting content list.
///
/// Synchronous and single-owner: the archiver pulls chunks from it and
/// records their ids in order. Kept as a class, out of the async function,
/// which also sidesteps a Swift 6.3 optimizer crash on async frames that hold
/// a closure-carrying struct across suspension points.
/// `@unchecked Sendable`: it moves between the archiver's task and the I/O
/// threads, but only one of them uses it at a time (each call is awaited
/// before the next is made).
final class FileContentStream: @unchecked Sendable {
    private let file: OpenFile
    private var regions: ArraySlice<Range<UInt64>>
    private let size: UInt64
    private let parameters: ChunkerParameters
    private let gear: GearTable
    private var chunker: Chunker?
    private var offset: UInt64 = 0
    private var end: UInt64 = 0
    /// Where the content list has reached.
    private var position: UInt64 = 0
    private var pieces: [ContentPiece] = []

    init(file: OpenFile, regions: [Range<UInt64>], size: UInt64, parameters: ChunkerParameters, gear: GearTable) {
        self.file = file
        self.regions = regions[...]
        self.size = size
        self.parameters = parameters
        self.gear = gear
    }

    /// True when `nextChunk()` would return nil: spares a small file a second trip to an I/O thread.
    var isAtEnd: Bool { regions.isEmpty && (chunker?.isExhausted ?? true) }

    /// The next chunk's bytes, or nil at the end of the file.
    func nextChunk() throws -> Data? {
        while true {
            if chunker != nil, let chunk = try chunker?.next() { return chunk }
            guard let region = regions.popFirst() else { return nil }
            if region.lowerBound > position {
                pieces.append(.hole(length: region.lowerBound - position))
                position = region.lowerBound
            }
            offset = region.lowerBound
            end = region.upperBound
            chunker = Chunker(parameters: parameters, gear: gear, expectedSize: region.upperBound - region.lowerBound) { [unowned self] buffer in
                try self.read(into: buffer)
            }
        }
    }

    func record(id: ID, length: Int) {
        pieces.append(.chunk(id, length: UInt32(length)))
        position += UInt64(length)
    }

    /// The content list; a trailing hole covers the rest of the file's size.
    func finish() -> [ContentPiece] {
        chunker = nil
        if size > position { pieces.append(.hole(length: size - position)) }
        return pieces
    }

    private func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let wanted = Int(min(UInt64(buffer.count), end - offset))
        guard wanted > 0 else { return 0 }
        let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]), at: offset)
        offset += UInt64(got)
        return got
    }
}
