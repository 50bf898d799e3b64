import Foundation
import TesseraCore

/// One open file in the mount: maps byte ranges to the chunks that hold them.
/// (Reading ahead is the folder's `FolderFeed`.)
final class OpenFileReader: Sendable {
    let number: UInt64
    let size: UInt64
    private let pieces: [ContentPiece]
    /// `starts[i]` is where piece `i` begins; one more entry for the end.
    private let starts: [UInt64]
    private let store: BlobStore

    init(number: UInt64, node: Node, store: BlobStore) {
        self.number = number
        self.size = node.size
        self.pieces = node.content
        var starts = [UInt64]()
        starts.reserveCapacity(node.content.count + 1)
        var position: UInt64 = 0
        for piece in node.content {
            starts.append(position)
            position += piece.length
        }
        starts.append(position)
        self.starts = starts
        self.store = store
    }

    /// The read served from memory alone, or nil when a chunk it needs is
    /// not decoded in memory yet. Most reads of a file being copied end
    /// here: answering on the libfuse thread saves two thread hops per read.
    func readFromMemory(offset: UInt64, length: Int) throws -> Data? {
        guard let span = span(offset: offset, length: length) else { return Data() }
        var chunks = [Data?]()
        for index in span.pieces {
            if case .chunk(let id, _) = pieces[index] {
                guard let chunk = store.cachedData(id) else { return nil }
                chunks.append(chunk)
            } else {
                chunks.append(nil)
            }
        }
        return try assemble(span, chunks)
    }

    /// Up to `length` bytes at `offset`; fewer at the end of the file.
    func read(offset: UInt64, length: Int) async throws -> Data {
        guard let span = span(offset: offset, length: length) else { return Data() }
        // Each chunk's load starts now; the pieces are then joined in order.
        let loads = span.pieces.map { index -> Task<Data, Error>? in
            guard case .chunk(let id, _) = pieces[index] else { return nil }
            return Task { try await store.data(id) }
        }
        var chunks = [Data?]()
        for load in loads { chunks.append(try await load?.value) }
        return try assemble(span, chunks)
    }

    /// The pieces a read covers and where it ends; nil when it lies past the end.
    private struct Span {
        let pieces: ClosedRange<Int>
        let offset: UInt64
        let end: UInt64
    }

    private func span(offset: UInt64, length: Int) -> Span? {
        let end = min(offset + UInt64(length), size, starts.last ?? 0)
        guard offset < end else { return nil }
        let first = pieceIndex(containing: offset)
        var last = first
        while last + 1 < pieces.count, starts[last + 1] < end { last += 1 }
        return Span(pieces: first...last, offset: offset, end: end)
    }

    /// Joins the covered bytes of each piece; `chunks` holds the decoded
    /// chunk of each piece in order, nil for a hole. One chunk is returned
    /// as a slice, without a copy.
    private func assemble(_ span: Span, _ chunks: [Data?]) throws -> Data {
        var result = Data()
        for (position, index) in span.pieces.enumerated() {
            let pieceStart = starts[index]
            let from = Int(max(span.offset, pieceStart) - pieceStart)
            let to = Int(min(span.end, starts[index + 1]) - pieceStart)
            guard let chunk = chunks[position] else {
                result.append(Data(count: to - from))
                continue
            }
            guard chunk.count >= to else { throw MountError.io }
            let bytes = chunk[chunk.startIndex + from..<chunk.startIndex + to]
            if span.pieces.count == 1 { return bytes }
            if result.isEmpty { result.reserveCapacity(Int(span.end - span.offset)) }
            result.append(bytes)
        }
        return result
    }

    private func pieceIndex(containing offset: UInt64) -> Int {
        var low = 0
        var high = pieces.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if starts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }
}
