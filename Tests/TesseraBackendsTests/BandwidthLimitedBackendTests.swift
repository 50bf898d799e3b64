import Foundation
import Testing
import TesseraBackends
import TesseraCore

@Suite("BandwidthLimitedBackend")
struct BandwidthLimitedBackendTests {
    /// 20 objects of half a second's worth each: 10 s of transfer at the rate.
    private static let rate = 100_000
    private static let objects = (0..<20).map { _ in (ObjectHandle(kind: .data, id: .random()), Data(count: rate / 2)) }

    @Test("Upload waits add up to bytes / rate within 20%")
    func uploadWaitsMatchTheRate() async throws {
        let clock = VirtualClock()
        let limited = BandwidthLimitedBackend(MemoryBackend(), uploadBytesPerSecond: Self.rate, downloadBytesPerSecond: nil, clock: clock)
        for (handle, data) in Self.objects {
            try await limited.save(handle, data: data)
        }
        let expected = Double(Self.objects.count * Self.rate / 2) / Double(Self.rate)
        let waited = clock.sleeps.reduce(0, +)
        #expect(abs(waited - expected) <= 0.2 * expected, "waited \(waited) s for \(expected) s of data")
        // Loads are not limited by the upload limit.
        let before = clock.sleeps.count
        for (handle, _) in Self.objects { _ = try await limited.load(handle) }
        #expect(clock.sleeps.count == before)
    }

    @Test("Download waits add up to bytes / rate within 20%, ranges included")
    func downloadWaitsMatchTheRate() async throws {
        let memory = MemoryBackend()
        for (handle, data) in Self.objects { try await memory.save(handle, data: data) }
        let clock = VirtualClock()
        let limited = BandwidthLimitedBackend(memory, uploadBytesPerSecond: nil, downloadBytesPerSecond: Self.rate, clock: clock)
        var bytes = 0
        for (index, (handle, data)) in Self.objects.enumerated() {
            if index.isMultiple(of: 2) {
                bytes += try await limited.load(handle).count
            } else {
                bytes += try await limited.load(handle, range: 0..<Int64(data.count / 2)).count
            }
        }
        let expected = Double(bytes) / Double(Self.rate)
        let waited = clock.sleeps.reduce(0, +)
        #expect(abs(waited - expected) <= 0.2 * expected, "waited \(waited) s for \(expected) s of data")
    }

    @Test("An object larger than the bucket passes by going into debt; the next one waits for it")
    func largeObjectGoesIntoDebt() async throws {
        let clock = VirtualClock()
        let limited = BandwidthLimitedBackend(MemoryBackend(), uploadBytesPerSecond: 1000, downloadBytesPerSecond: nil, clock: clock)
        // The bucket starts full (1000 tokens): 5000 bytes owe 4 s.
        try await limited.save(ObjectHandle(kind: .data, id: .random()), data: Data(count: 5000))
        #expect(clock.sleeps == [4])
        try await limited.save(ObjectHandle(kind: .data, id: .random()), data: Data(count: 1000))
        #expect(clock.sleeps == [4, 1])
    }

    @Test("Unlimited (nil or zero) never sleeps")
    func unlimitedNeverSleeps() async throws {
        for limit in [nil, 0] as [Int?] {
            let clock = VirtualClock()
            let limited = BandwidthLimitedBackend(MemoryBackend(), uploadBytesPerSecond: limit, downloadBytesPerSecond: limit, clock: clock)
            for (handle, data) in Self.objects {
                try await limited.save(handle, data: data)
                _ = try await limited.load(handle)
                _ = try await limited.load(handle, range: 0..<100)
            }
            #expect(clock.sleeps.isEmpty, "limit \(String(describing: limit))")
        }
    }
}
