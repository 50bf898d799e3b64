import Foundation
import Testing
import TesseraCore

/// The fault injector must inject what it is told to, or the retry tests
/// built on it prove nothing.
@Suite("FaultyBackend")
struct FaultyBackendTests {
    @Test("A failure rate is honoured, and the same seed fails the same calls")
    func rateIsHonouredAndDeterministic() async throws {
        func pattern(seed: UInt64) async -> [Bool] {
            let faulty = FaultyBackend(MemoryBackend(), failureRate: 0.3, seed: seed)
            var failed: [Bool] = []
            for _ in 0..<1000 {
                do {
                    _ = try await faulty.list(.data)
                    failed.append(false)
                } catch {
                    failed.append(true)
                }
            }
            return failed
        }
        let first = await pattern(seed: 42)
        let failures = first.filter { $0 }.count
        #expect((250...350).contains(failures))
        #expect(await pattern(seed: 42) == first)
        #expect(await pattern(seed: 43) != first)
    }

    @Test("failNext fails exactly the next N calls of the chosen operations, with a transient error")
    func failNextFailsExactlyN() async throws {
        let faulty = FaultyBackend(MemoryBackend(), operations: [.stat], retryAfter: 3)
        faulty.failNext(2)
        _ = try await faulty.list(.data)
        let handle = ObjectHandle(kind: .data, id: .random())
        for _ in 0..<2 {
            let error = await #expect(throws: BackendError.self) { try await faulty.stat(handle) }
            #expect(error?.isTransient == true)
            #expect(error?.retryAfter == 3)
        }
        let error = await #expect(throws: BackendError.self) { try await faulty.stat(handle) }
        #expect(error?.isTransient == false)
        #expect(faulty.injectedFailures == 2)
    }
}
