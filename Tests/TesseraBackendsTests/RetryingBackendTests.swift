import Foundation
import Synchronization
import Testing
import TesseraBackends
import TesseraCore

@Suite("RetryingBackend")
struct RetryingBackendTests {
    private let handle = ObjectHandle(kind: .data, id: .random())
    private let data = Data.random(count: 1000, seed: 9)

    @Test("Stops after maxAttempts and reports how many attempts were made")
    func stopsAfterMaxAttempts() async throws {
        let memory = MemoryBackend()
        let faulty = FaultyBackend(memory)
        faulty.failNext(100)
        let clock = VirtualClock()
        let events = Mutex<[Int]>([])
        let retrying = RetryingBackend(faulty, policy: RetryPolicy(maxAttempts: 5), sleeper: clock, onRetry: { event in
            events.withLock { $0.append(event.attempt) }
        })
        let error = await #expect(throws: BackendError.self) { try await retrying.save(handle, data: data) }
        guard case .retriesExhausted(let attempts, let last)? = error else {
            Issue.record("expected retriesExhausted, got \(String(describing: error))")
            return
        }
        #expect(attempts == 5)
        #expect(last.isTransient)
        #expect(error?.isTransient == false)
        #expect(error?.description == "cannot save \(handle.path): injected fault (gave up after 5 attempts)")
        #expect(faulty.calls(.save) == 5)
        #expect(clock.sleeps.count == 4)
        #expect(events.withLock { $0 } == [1, 2, 3, 4])
        #expect(try await memory.list(.data).isEmpty)
    }

    @Test("Succeeds once the fault passes, after one wait per failed attempt")
    func succeedsWhenTheFaultPasses() async throws {
        let memory = MemoryBackend()
        let faulty = FaultyBackend(memory)
        faulty.failNext(3)
        let clock = VirtualClock()
        try await RetryingBackend(faulty, sleeper: clock).save(handle, data: data)
        #expect(faulty.calls(.save) == 4)
        #expect(clock.sleeps.count == 3)
        #expect(try await memory.load(handle) == data)
    }

    @Test("Every operation is retried")
    func everyOperationIsRetried() async throws {
        let memory = MemoryBackend()
        try await memory.save(handle, data: data)
        let faulty = FaultyBackend(memory)
        let retrying = RetryingBackend(faulty, sleeper: VirtualClock())
        faulty.failNext(1)
        #expect(try await retrying.load(handle) == data)
        faulty.failNext(1)
        #expect(try await retrying.load(handle, range: 10..<20) == data.subdata(in: 10..<20))
        faulty.failNext(1)
        #expect(try await retrying.stat(handle).size == 1000)
        faulty.failNext(1)
        #expect(try await retrying.list(.data).map(\.handle) == [handle])
        faulty.failNext(1)
        try await retrying.delete(handle)
        #expect(try await !memory.exists(handle))
        #expect(faulty.injectedFailures == 5)
        #expect(faulty.calls(.load) == 4)
        #expect(faulty.calls(.stat) == 2)
        #expect(faulty.calls(.list) == 2)
        #expect(faulty.calls(.delete) == 2)
    }

    @Test("The server's retryAfter is the wait, up to maxServerDelay")
    func honoursRetryAfter() async throws {
        let faulty = FaultyBackend(MemoryBackend(), retryAfter: 7)
        faulty.failNext(2)
        let clock = VirtualClock()
        // A jitter that would give the full ceiling: the server's delay must win.
        try await RetryingBackend(faulty, sleeper: clock, jitter: { $0 }).save(handle, data: data)
        #expect(clock.sleeps == [7, 7])

        let impatient = FaultyBackend(MemoryBackend(), retryAfter: 1000)
        impatient.failNext(1)
        let clock2 = VirtualClock()
        try await RetryingBackend(impatient, policy: RetryPolicy(maxServerDelay: 60), sleeper: clock2).save(handle, data: data)
        #expect(clock2.sleeps == [60])
    }

    @Test("notFound and io errors are not retried and pass through unwrapped")
    func permanentErrorsAreNotRetried() async throws {
        let counting = RequestCountingBackend(MemoryBackend())
        let clock = VirtualClock()
        let retrying = RetryingBackend(counting, sleeper: clock)
        try await counting.save(handle, data: data)
        let missing = ObjectHandle(kind: .data, id: .random())

        let notFound = await #expect(throws: BackendError.self) { try await retrying.load(missing) }
        guard case .notFound(let reported)? = notFound else {
            Issue.record("expected notFound, got \(String(describing: notFound))")
            return
        }
        #expect(reported == missing)
        await #expect(throws: BackendError.self) { try await retrying.stat(missing) }
        await #expect(throws: BackendError.self) { try await retrying.delete(missing) }
        // MemoryBackend reports a range past the end as an io error.
        let io = await #expect(throws: BackendError.self) { try await retrying.load(handle, range: 999..<1001) }
        guard case .io? = io else {
            Issue.record("expected io, got \(String(describing: io))")
            return
        }
        let counts = counting.counts
        #expect(counts.load == 1)
        #expect(counts.stat == 1)
        #expect(counts.delete == 1)
        #expect(counts.loadRange == 1)
        #expect(clock.sleeps.isEmpty)
    }

    @Test("Backoff ceilings double from 0.25 s and stop at 30 s")
    func backoffGrowsAndIsCapped() async throws {
        let faulty = FaultyBackend(MemoryBackend())
        faulty.failNext(100)
        let clock = VirtualClock()
        // The jitter returns its ceiling, so the sleeps are the ceilings themselves.
        let retrying = RetryingBackend(faulty, policy: RetryPolicy(maxAttempts: 12), sleeper: clock, jitter: { $0 })
        await #expect(throws: BackendError.self) { try await retrying.save(handle, data: data) }
        #expect(clock.sleeps == [0.25, 0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30])
    }

    @Test("Full jitter draws each wait between zero and its ceiling")
    func defaultJitterStaysWithinTheCeiling() async throws {
        let faulty = FaultyBackend(MemoryBackend())
        faulty.failNext(100)
        let clock = VirtualClock()
        let policy = RetryPolicy(maxAttempts: 40)
        await #expect(throws: BackendError.self) {
            try await RetryingBackend(faulty, policy: policy, sleeper: clock).save(handle, data: data)
        }
        let sleeps = clock.sleeps
        #expect(sleeps.count == 39)
        for (index, sleep) in sleeps.enumerated() {
            #expect(sleep >= 0 && sleep <= policy.backoffCeiling(forRetry: index + 1), "retry \(index + 1): \(sleep) s")
        }
        // Jittered, not the ceilings: 31 draws at the 30 s cap are not all equal.
        #expect(Set(sleeps.suffix(31)).count > 1)
    }

    @Test("A retried delete whose first answer was lost succeeds")
    func deleteWithALostAnswerSucceeds() async throws {
        let memory = MemoryBackend()
        try await memory.save(handle, data: data)
        let faulty = FaultyBackend(memory, operations: [.delete], timing: .afterCall)
        faulty.failNext(1)
        try await RetryingBackend(faulty, sleeper: VirtualClock()).delete(handle)
        #expect(faulty.calls(.delete) == 2)
        #expect(try await !memory.exists(handle))
    }

    @Test("200 saves through a backend failing 30% of calls all arrive intact")
    func survivesAFaultRate() async throws {
        let memory = MemoryBackend()
        let faulty = FaultyBackend(memory, failureRate: 0.3, seed: 7)
        let retrying = RetryingBackend(faulty, sleeper: VirtualClock())
        let objects = (0..<200).map { (ObjectHandle(kind: .data, id: .random()), Data.random(count: 100 + $0, seed: UInt64($0))) }
        try await BackendConformance.concurrently(objects) { handle, data in
            try await retrying.save(handle, data: data)
        }
        #expect(faulty.injectedFailures > 40)
        for (handle, data) in objects {
            #expect(try await memory.load(handle) == data)
        }
    }
}
