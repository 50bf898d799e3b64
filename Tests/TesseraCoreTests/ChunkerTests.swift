import Foundation
import Testing
@testable import TesseraCore

/// A small deterministic generator, so test data and gear tables are the same on every run.
private struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = next()
            for _ in 0..<min(8, count - index) {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return bytes
    }
}

private let small = ChunkerParameters(minSize: 2 << 10, averageSize: 8 << 10, maxSize: 64 << 10)

private func gearTable(seed: UInt64) throws -> GearTable {
    var random = SplitMix64(seed: seed)
    return try #require(GearTable(values: (0..<256).map { _ in random.next() }))
}

private func randomBytes(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
    var random = SplitMix64(seed: seed)
    return random.bytes(count)
}

/// Chunks `data`. With `maxRead`, each read returns a random 1...maxRead bytes (short reads).
private func chunks(
    of data: [UInt8], parameters: ChunkerParameters = small, gear: GearTable,
    maxRead: Int? = nil, initialBufferSize: Int? = nil
) throws -> [Data] {
    var offset = 0
    var random = SplitMix64(seed: 42)
    let read: (UnsafeMutableRawBufferPointer) throws -> Int = { buffer in
        var count = min(buffer.count, data.count - offset)
        if let maxRead {
            count = min(count, Int(random.next() % UInt64(maxRead)) + 1)
        }
        data.withUnsafeBytes { source in
            if let from = source.baseAddress, let to = buffer.baseAddress {
                to.copyMemory(from: from + offset, byteCount: count)
            }
        }
        offset += count
        return count
    }
    var chunker = if let initialBufferSize {
        Chunker(parameters: parameters, gear: gear, initialBufferSize: initialBufferSize, read: read)
    } else {
        Chunker(parameters: parameters, gear: gear, read: read)
    }
    var result: [Data] = []
    while let chunk = try chunker.next() {
        result.append(chunk)
    }
    return result
}

private func concatenated(_ chunks: [Data]) -> [UInt8] {
    var bytes: [UInt8] = []
    for chunk in chunks { bytes.append(contentsOf: chunk) }
    return bytes
}

/// Every chunk but the last lies within [min, max]; the last is non-empty and at most max.
private func expectSizesWithinBounds(_ chunks: [Data], _ parameters: ChunkerParameters) {
    for (index, chunk) in chunks.enumerated() {
        if index < chunks.count - 1 {
            #expect(chunk.count >= parameters.minSize && chunk.count <= parameters.maxSize, "chunk \(index) has \(chunk.count) bytes")
        } else {
            #expect(chunk.count >= 1 && chunk.count <= parameters.maxSize, "last chunk has \(chunk.count) bytes")
        }
    }
}

private struct SourceFailed: Error, Equatable {}

@Suite("FastCDC chunker")
struct ChunkerTests {
    @Test("Concatenated chunks reproduce the input", arguments: [0, 1, 1000, 64 << 10, 30 << 20])
    func reassembly(size: Int) throws {
        let data = randomBytes(size, seed: UInt64(size) + 7)
        let result = try chunks(of: data, gear: try gearTable(seed: 1))
        #expect(concatenated(result) == data)
        #expect(result.allSatisfy { !$0.isEmpty })
        // An input no longer than max fits in the chunks it needs and no more.
        if size == 0 { #expect(result.isEmpty) }
        if size == 1 || size == 1000 { #expect(result.count == 1) }
        expectSizesWithinBounds(result, small)
    }

    @Test("Chunk sizes stay within bounds and average near the target")
    func sizeDistribution() throws {
        let data = randomBytes(8 << 20, seed: 3)
        let result = try chunks(of: data, gear: try gearTable(seed: 2))
        expectSizesWithinBounds(result, small)
        let average = Double(data.count) / Double(result.count)
        #expect(average >= Double(small.averageSize) / 2 && average <= Double(small.averageSize) * 2, "average \(average)")
        // Random data should rarely need a hard cut at max.
        #expect(result.dropLast().filter { $0.count == small.maxSize }.count <= result.count / 100)
    }

    @Test("Default parameters on 24 MiB")
    func defaultParameters() throws {
        let parameters = ChunkerParameters.default
        let data = randomBytes(24 << 20, seed: 4)
        let result = try chunks(of: data, parameters: parameters, gear: try gearTable(seed: 3))
        #expect(concatenated(result) == data)
        expectSizesWithinBounds(result, parameters)
        let average = Double(data.count) / Double(result.count)
        #expect(average >= Double(parameters.averageSize) / 2 && average <= Double(parameters.averageSize) * 2, "average \(average)")
    }

    @Test("Data without a cut point is cut at exactly maxSize")
    func hardCutAtMax() throws {
        // With gear[0] == 1 << 63 the hash of zero bytes stays 1 << 63, whose top bit the masks test.
        var values = [UInt64](repeating: 0, count: 256)
        values[0] = 1 << 63
        let gear = try #require(GearTable(values: values))
        let data = [UInt8](repeating: 0, count: 3 * small.maxSize + 5)
        let result = try chunks(of: data, gear: gear)
        #expect(result.map(\.count) == [small.maxSize, small.maxSize, small.maxSize, 5])
    }

    @Test("Hashing starts at minSize: a hash that always matches cuts right after it")
    func cutPointSkipping() throws {
        // An all-zero table keeps the hash 0, which every mask accepts.
        let gear = try #require(GearTable(values: [UInt64](repeating: 0, count: 256)))
        let data = randomBytes(10 * small.minSize, seed: 5)
        let result = try chunks(of: data, gear: gear)
        #expect(result.dropLast().allSatisfy { $0.count == small.minSize + 1 })
        #expect(concatenated(result) == data)
    }

    @Test("An insertion changes only the chunks around it")
    func editLocality() throws {
        let gear = try gearTable(seed: 6)
        let original = randomBytes(8 << 20, seed: 6)
        var edited = original
        edited.insert(contentsOf: [1, 2, 3, 4, 5, 6, 7], at: original.count / 2)
        let before = try chunks(of: original, gear: gear)
        let after = try chunks(of: edited, gear: gear)
        let beforeSet = Set(before)
        let fresh = after.filter { !beforeSet.contains($0) }
        #expect(before.count > 500)
        #expect(!fresh.isEmpty && fresh.count <= 3, "\(fresh.count) new chunks of \(after.count)")
        #expect(Set(after).intersection(beforeSet).count >= before.count - 3)
    }

    @Test("Same gear and data give the same boundaries; another gear gives others")
    func determinism() throws {
        let data = randomBytes(2 << 20, seed: 7)
        let first = try chunks(of: data, gear: try gearTable(seed: 8)).map(\.count)
        let second = try chunks(of: data, gear: try gearTable(seed: 8)).map(\.count)
        let other = try chunks(of: data, gear: try gearTable(seed: 9)).map(\.count)
        #expect(first == second)
        #expect(first != other)
        #expect(first.count > 100)
    }

    @Test("Short reads and a growing buffer give the same chunks", arguments: [1, 13, 5000])
    func shortReads(maxRead: Int) throws {
        let gear = try gearTable(seed: 10)
        let data = randomBytes(maxRead == 1 ? 300 << 10 : 3 << 20, seed: 10)
        let reference = try chunks(of: data, gear: gear)
        #expect(try chunks(of: data, gear: gear, maxRead: maxRead) == reference)
        #expect(try chunks(of: data, gear: gear, maxRead: maxRead, initialBufferSize: 1) == reference)
        #expect(reference.count > 10)
    }

    @Test("An error thrown by read reaches the caller")
    func readErrorPropagates() throws {
        var chunker = Chunker(parameters: small, gear: try gearTable(seed: 11)) { _ in throw SourceFailed() }
        #expect(throws: SourceFailed.self) { try chunker.next() }

        // Also after some data has been delivered.
        var delivered = 0
        var later = Chunker(parameters: small, gear: try gearTable(seed: 11)) { buffer in
            if delivered >= 100_000 { throw SourceFailed() }
            let count = min(buffer.count, 10_000)
            buffer.initializeMemory(as: UInt8.self, repeating: 0x5A)
            delivered += count
            return count
        }
        #expect(throws: SourceFailed.self) {
            while try later.next() != nil {}
        }
    }

    @Test("A read count outside the buffer is an error, not a crash", arguments: [-1, Int.max])
    func invalidReadCount(count: Int) throws {
        var chunker = Chunker(parameters: small, gear: try gearTable(seed: 12)) { _ in count }
        #expect(throws: ChunkerError.self) { try chunker.next() }
    }

    @Test("Invalid parameters are clamped so chunking still reproduces the input")
    func invalidParametersStillWork() throws {
        let broken = ChunkerParameters(minSize: 0, averageSize: 3, maxSize: 1)
        #expect(broken.validationError != nil)
        let data = randomBytes(10_000, seed: 13)
        let result = try chunks(of: data, parameters: broken, gear: try gearTable(seed: 13))
        #expect(concatenated(result) == data)
    }

    @Test("Valid parameters pass validation")
    func validParameters() {
        #expect(ChunkerParameters.default.validationError == nil)
        #expect(small.validationError == nil)
        #expect(ChunkerParameters(minSize: 64, averageSize: 128, maxSize: 64 << 20).validationError == nil)
    }

    @Test(
        "Invalid parameters are reported",
        arguments: [
            (ChunkerParameters(minSize: 32, averageSize: 1024, maxSize: 4096), "32"),
            (ChunkerParameters(minSize: 1024, averageSize: 4096, maxSize: (64 << 20) + 1), "67108865"),
            (ChunkerParameters(minSize: 1024, averageSize: 3000, maxSize: 8192), "3000"),
            (ChunkerParameters(minSize: 1024, averageSize: 0, maxSize: 8192), "power of two"),
            (ChunkerParameters(minSize: 4096, averageSize: 4096, maxSize: 8192), "minimum"),
            (ChunkerParameters(minSize: 8192, averageSize: 4096, maxSize: 16384), "minimum"),
            (ChunkerParameters(minSize: 1024, averageSize: 4096, maxSize: 4096), "maximum"),
        ]
    )
    func invalidParameters(parameters: ChunkerParameters, mentioned: String) throws {
        let message = try #require(parameters.validationError)
        #expect(message.contains(mentioned), "\(message)")
    }

    @Test("A gear table needs exactly 256 values")
    func gearTableSize() {
        #expect(GearTable(values: [UInt64](repeating: 1, count: 255)) == nil)
        #expect(GearTable(values: [UInt64](repeating: 1, count: 257)) == nil)
        #expect(GearTable(values: [UInt64](repeating: 1, count: 256))?.values.count == 256)
    }
}
