import Foundation
import Synchronization
import TesseraCore

/// One open file in the mount: maps byte ranges to the chunks that hold them
/// and notices sequential reading, to load ahead of the reader.
final class OpenFileReader: Sendable {
    let number: UInt64
    let size: UInt64
    private let pieces: [ContentPiece]
    /// `starts[i]` is where piece `i` begins; one more entry for the end.
    private let starts: [UInt64]
    private let store: BlobStore
    private let maximumReadAhead: UInt64
    private let state = Mutex(ReadState())

    private struct ReadState {
        var expectedOffset: UInt64 = 0
        /// Grows while reads stay sequential, like the kernel's own read-ahead.
        var window: UInt64 = 0
    }

    init(number: UInt64, node: Node, store: BlobStore, maximumReadAhead: Int) {
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
        self.maximumReadAhead = UInt64(maximumReadAhead)
    }

    /// The read served from memory alone, or nil when a chunk it needs is
    /// not decoded in memory yet. Most reads of a file being copied end
    /// here: answering on the libfuse thread saves two thread hops per read.
    func readFromMemory(offset: UInt64, length: Int) throws -> Data? {
        let end = min(offset + UInt64(length), size, starts.last ?? 0)
        guard offset < end else { return Data() }
        let first = pieceIndex(containing: offset)
        var last = first
        while last + 1 < pieces.count, starts[last + 1] < end { last += 1 }
        var chunks = [Data?]()
        for index in first...last {
            if case .chunk(let id, _) = pieces[index] {
                guard let chunk = store.cachedData(id) else { return nil }
                chunks.append(chunk)
            } else {
                chunks.append(nil)
            }
        }
        readAhead(afterPiece: last, offset: offset, end: end)
        var result = Data(capacity: Int(end - offset))
        for (position, index) in (first...last).enumerated() {
            let pieceStart = starts[index]
            let from = Int(max(offset, pieceStart) - pieceStart)
            let to = Int(min(end, starts[index + 1]) - pieceStart)
            if let chunk = chunks[position] {
                guard chunk.count >= to else { throw MountError.io }
                if first == last { return chunk[chunk.startIndex + from..<chunk.startIndex + to] }
                result.append(chunk[chunk.startIndex + from..<chunk.startIndex + to])
            } else {
                result.append(Data(count: to - from))
            }
        }
        return result
    }

    /// Up to `length` bytes at `offset`; fewer at the end of the file.
    func read(offset: UInt64, length: Int) async throws -> Data {
        let end = min(offset + UInt64(length), size, starts.last ?? 0)
        guard offset < end else { return Data() }
        let first = pieceIndex(containing: offset)
        var last = first
        while last + 1 < pieces.count, starts[last + 1] < end { last += 1 }
        readAhead(afterPiece: last, offset: offset, end: end)

        if first == last {  // the common case: one chunk serves the whole read
            return try await slice(of: first, from: offset, to: end)
        }
        // Each chunk's load starts now; the pieces are then joined in order.
        let loads = (first...last).map { index -> Task<Data, Error>? in
            guard case .chunk(let id, _) = pieces[index] else { return nil }
            return Task { try await store.data(id) }
        }
        var result = Data(capacity: Int(end - offset))
        for (position, index) in (first...last).enumerated() {
            let pieceStart = starts[index]
            let from = Int(max(offset, pieceStart) - pieceStart)
            let to = Int(min(end, starts[index + 1]) - pieceStart)
            if let load = loads[position] {
                let chunk = try await load.value
                guard chunk.count >= to else { throw MountError.io }
                result.append(chunk[chunk.startIndex + from..<chunk.startIndex + to])
            } else {
                result.append(Data(count: to - from))
            }
        }
        return result
    }

    private func slice(of index: Int, from offset: UInt64, to end: UInt64) async throws -> Data {
        let pieceStart = starts[index]
        let from = Int(offset - pieceStart)
        let to = Int(end - pieceStart)
        guard case .chunk(let id, _) = pieces[index] else { return Data(count: to - from) }
        let chunk = try await store.data(id)
        guard chunk.count >= to else { throw MountError.io }
        return chunk[chunk.startIndex + from..<chunk.startIndex + to]
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

    /// On sequential reads, loads the chunks of the next `window` bytes in the
    /// background; the window doubles with each sequential read up to the maximum.
    private func readAhead(afterPiece last: Int, offset: UInt64, end: UInt64) {
        let window = state.withLock { state -> UInt64 in
            let sequential = offset == state.expectedOffset
            state.expectedOffset = end
            state.window = sequential ? min(max(state.window * 2, 2 << 20), maximumReadAhead) : 0
            return state.window
        }
        guard window > 0 else { return }
        var index = last + 1
        while index < pieces.count, starts[index] < end + window {
            if case .chunk(let id, _) = pieces[index] { store.prefetch(id) }
            index += 1
        }
    }
}
