import Foundation

/// Streams chunks out of a byte source, cutting with FastCDC (see `CutPointFinder`).
///
/// Cut points depend only on the bytes and the gear table, never on how the
/// source happens to split its reads.
public struct Chunker {
    private let finder: CutPointFinder
    private let gear: [UInt64]
    private let read: (UnsafeMutableRawBufferPointer) throws -> Int
    private let initialBufferSize: Int
    /// Large enough that compacting moves less than `maxSize` bytes while freeing more.
    private let bufferLimit: Int

    /// Bytes read but not yet returned are `buffer[start..<end]`.
    private var buffer: [UInt8] = []
    private var start = 0
    private var end = 0
    private var sourceEnded = false

    /// `read` fills the given buffer from the source and returns the byte count, 0 at the end. It may throw.
    /// `expectedSize`, when known, sizes the first buffer: a small file then
    /// costs a small allocation instead of the default 256 KiB.
    public init(parameters: ChunkerParameters, gear: GearTable, expectedSize: UInt64? = nil, read: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        let initial = expectedSize.map { Int(min(max($0, 2048), 128 << 10)) * 2 } ?? 256 << 10
        self.init(parameters: parameters, gear: gear, initialBufferSize: initial, read: read)
    }

    /// `initialBufferSize` lets tests exercise buffer growth and compaction with small inputs.
    init(parameters: ChunkerParameters, gear: GearTable, initialBufferSize: Int, read: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        finder = CutPointFinder(parameters: parameters)
        self.gear = gear.values
        self.read = read
        bufferLimit = max(2 * finder.maxSize, 1 << 20)
        // Starts small and grows, so chunking many small files stays cheap.
        self.initialBufferSize = min(max(initialBufferSize, 1), bufferLimit)
    }

    /// True once the source has ended and every byte was returned: the next
    /// `next()` would return nil.
    public var isExhausted: Bool { sourceEnded && start == end }

    /// The next chunk's bytes, or nil at the end of the source. Every chunk is within
    /// [minSize, maxSize] except the last one, which may be shorter than minSize.
    public mutating func next() throws -> Data? {
        if end - start < finder.maxSize && !sourceEnded {
            try fill()
        }
        let available = end - start
        if available == 0 { return nil }
        let finder = self.finder
        let start = self.start
        let chunk: Data = buffer.withUnsafeBufferPointer { bytes in
            gear.withUnsafeBufferPointer { table in
                // Never nil: `available > 0` means the buffer is allocated, and the table has 256 entries.
                guard let base = bytes.baseAddress, let tableBase = table.baseAddress else { return Data() }
                let length = finder.cutLength(base + start, count: available, gear: tableBase)
                return Data(bytes: base + start, count: length)
            }
        }
        self.start += chunk.count
        return chunk
    }

    /// Reads until at least `maxSize` bytes are buffered or the source ends.
    private mutating func fill() throws {
        let read = self.read
        while !sourceEnded && end - start < finder.maxSize {
            if end == buffer.count { makeRoom() }
            let offset = end
            let capacity = buffer.count - offset
            let count = try buffer.withUnsafeMutableBytes { raw in
                try read(UnsafeMutableRawBufferPointer(rebasing: raw[offset...]))
            }
            guard count >= 0 && count <= capacity else {
                throw ChunkerError.invalidReadCount(returned: count, capacity: capacity)
            }
            if count == 0 {
                sourceEnded = true
            } else {
                end += count
            }
        }
    }

    /// Moves the unconsumed bytes to the front, and grows the buffer when that frees too little.
    private mutating func makeRoom() {
        if start > 0 {
            let (from, count) = (start, end - start)
            buffer.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return }
                // The regions may overlap.
                memmove(base, base + from, count)
            }
            start = 0
            end = count
        }
        let size = buffer.count
        // Grows when full or when compacting left less than half free, for large reads.
        if size < bufferLimit && (end == size || size - end < size / 2) {
            let grown = size == 0 ? initialBufferSize : min(2 * size, bufferLimit)
            buffer.append(contentsOf: repeatElement(0, count: grown - size))
        }
    }
}
