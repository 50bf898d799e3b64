import Foundation
import Testing
import TesseraBackends
import TesseraCore

@Suite("WindowedReadBackend")
struct WindowedReadBackendTests {
    @Test("The suite's checks pass through it, with windows smaller than the objects", arguments: BackendConformance.Check.allCases)
    func conforms(to check: BackendConformance.Check) async throws {
        try await BackendConformance { WindowedReadBackend(MemoryBackend(), windowSize: 4096, capacity: 4) }.run(check)
    }

    @Test("Reading a pack blob by blob takes one load per window, also when the loads run at once")
    func oneLoadPerWindow() async throws {
        let counting = RequestCountingBackend(MemoryBackend())
        let windowed = WindowedReadBackend(counting, windowSize: 64 << 10, capacity: 8)
        let pack = ObjectHandle(kind: .data, id: .random())
        let data = Data.random(count: 256 << 10, seed: 3)
        try await windowed.save(pack, data: data)
        // 1000-byte blobs, many straddling a window boundary, 16 loads at a time.
        let ranges = stride(from: Int64(0), to: Int64(data.count) - 1000, by: 1000).map { $0..<($0 + 1000) }
        try await BackendConformance.concurrently(ranges, width: 16) { range in
            let part = try await windowed.load(pack, range: range)
            #expect(part == data.subdata(in: Int(range.lowerBound)..<Int(range.upperBound)))
        }
        #expect(counting.counts.loadRange == 4, "\(counting.counts)")
        #expect(counting.counts.stat == 1)
        // Whole loads and other kinds of object are not windowed.
        _ = try await windowed.load(pack)
        #expect(counting.counts.load == 1)
        // Nor are long ranges (a quarter window or more), even inside a cached window.
        let long = try await windowed.load(pack, range: 1000..<(17 << 10))
        #expect(long == data.subdata(in: 1000..<(17 << 10)))
        #expect(counting.counts.loadRange == 5, "\(counting.counts)")
    }

    @Test("No more than `capacity` windows are kept")
    func boundedMemory() async throws {
        let counting = RequestCountingBackend(MemoryBackend())
        let windowed = WindowedReadBackend(counting, windowSize: 1000, capacity: 2)
        let pack = ObjectHandle(kind: .data, id: .random())
        try await windowed.save(pack, data: Data.random(count: 5000, seed: 1))
        for start in [0, 1000, 2000, 0] { _ = try await windowed.load(pack, range: Int64(start)..<Int64(start + 10)) }
        // Window 0 was dropped for window 2, so it is fetched again.
        #expect(counting.counts.loadRange == 4)
        for start in [2000, 0] { _ = try await windowed.load(pack, range: Int64(start)..<Int64(start + 10)) }
        #expect(counting.counts.loadRange == 4)
    }
}
