import Foundation
import Testing
import TesseraBackends
import TesseraCore

@Suite("RequestCountingBackend")
struct RequestCountingBackendTests {
    @Test("Counts each kind of request and the bytes moved")
    func countsEachKind() async throws {
        let counting = RequestCountingBackend(MemoryBackend())
        let handles = (0..<3).map { _ in ObjectHandle(kind: .data, id: .random()) }
        for (index, handle) in handles.enumerated() {
            try await counting.save(handle, data: Data(count: 10 * (index + 1)))
        }
        _ = try await counting.load(handles[0])
        _ = try await counting.load(handles[1])
        _ = try await counting.load(handles[2], range: 5..<25)
        _ = try await counting.stat(handles[0])
        _ = try await counting.list(.data)
        try await counting.delete(handles[0])

        var expected = RequestCounts()
        expected.save = 3
        expected.load = 2
        expected.loadRange = 1
        expected.stat = 1
        expected.list = 1
        expected.delete = 1
        expected.bytesUploaded = 60
        expected.bytesDownloaded = 10 + 20 + 20
        #expect(counting.counts == expected)
        #expect(counting.counts.requests == 9)
    }

    @Test("A failed request is counted; its bytes are not")
    func failedRequestsCountWithoutBytes() async throws {
        let counting = RequestCountingBackend(MemoryBackend())
        let missing = ObjectHandle(kind: .data, id: .random())
        await #expect(throws: BackendError.self) { try await counting.load(missing) }
        await #expect(throws: BackendError.self) { try await counting.load(missing, range: 0..<10) }
        let faulty = FaultyBackend(MemoryBackend())
        faulty.failNext(1)
        let countingFaulty = RequestCountingBackend(faulty)
        await #expect(throws: BackendError.self) { try await countingFaulty.save(missing, data: Data(count: 100)) }

        #expect(counting.counts.load == 1)
        #expect(counting.counts.loadRange == 1)
        #expect(counting.counts.bytesDownloaded == 0)
        #expect(countingFaulty.counts.save == 1)
        #expect(countingFaulty.counts.bytesUploaded == 0)
    }

    @Test("Concurrent requests are all counted")
    func concurrentRequestsAreAllCounted() async throws {
        let counting = RequestCountingBackend(MemoryBackend())
        let handles = (0..<200).map { _ in ObjectHandle(kind: .data, id: .random()) }
        try await BackendConformance.concurrently(handles) { handle in
            try await counting.save(handle, data: Data(count: 3))
            _ = try await counting.stat(handle)
        }
        #expect(counting.counts.save == 200)
        #expect(counting.counts.stat == 200)
        #expect(counting.counts.bytesUploaded == 600)
    }
}
