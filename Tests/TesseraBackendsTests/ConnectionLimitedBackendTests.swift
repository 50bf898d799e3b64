import Foundation
import Synchronization
import Testing
import TesseraBackends
import TesseraCore

@Suite("ConnectionLimitedBackend")
struct ConnectionLimitedBackendTests {
    /// Records how many calls are inside it at once; each call lingers a little.
    final class ConcurrencyProbe: Backend {
        let inner = MemoryBackend()
        private let state = Mutex((current: 0, highest: 0))
        var location: String { "probe" }
        var highest: Int { state.withLock { $0.highest } }

        private func inside<T>(_ body: () async throws -> T) async throws -> T {
            state.withLock { $0.current += 1; $0.highest = max($0.highest, $0.current) }
            defer { state.withLock { $0.current -= 1 } }
            try await Task.sleep(for: .milliseconds(5))
            return try await body()
        }

        func save(_ handle: ObjectHandle, data: Data) async throws { try await inside { try await inner.save(handle, data: data) } }
        func load(_ handle: ObjectHandle, range: Range<Int64>?) async throws -> Data { try await inside { try await inner.load(handle, range: range) } }
        func stat(_ handle: ObjectHandle) async throws -> ObjectInfo { try await inside { try await inner.stat(handle) } }
        func list(_ kind: ObjectKind) async throws -> [ObjectInfo] { try await inside { try await inner.list(kind) } }
        func delete(_ handle: ObjectHandle) async throws { try await inside { try await inner.delete(handle) } }
    }

    @Test("No more than the limit of calls reach the backend at once", arguments: [1, 3])
    func boundsConcurrentCalls(limit: Int) async throws {
        let probe = ConcurrencyProbe()
        let limited = ConnectionLimitedBackend(probe, limit: limit)
        let handles = (0..<24).map { _ in ObjectHandle(kind: .data, id: .random()) }
        try await BackendConformance.concurrently(handles, width: 24) { handle in
            try await limited.save(handle, data: Data("x".utf8))
            _ = try await limited.load(handle)
        }
        #expect(probe.highest == limit)
        #expect(try await limited.list(.data).count == 24)
    }

    @Test("The suite's checks pass through it")
    func conforms() async throws {
        for check in BackendConformance.Check.allCases where check != .largeObject {
            try await BackendConformance { ConnectionLimitedBackend(MemoryBackend(), limit: 2) }.run(check)
        }
    }

    @Test("create() reaches the backend through every decorator")
    func createIsForwarded() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let local = LocalBackend(path: folder.url.appendingPathComponent("repo").path)
        let wrapped = RetryingBackend(BandwidthLimitedBackend(RequestCountingBackend(ConnectionLimitedBackend(local, limit: 2)), uploadBytesPerSecond: nil, downloadBytesPerSecond: nil))
        try await wrapped.create()
        #expect(FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("repo/data/ff").path))
    }
}
