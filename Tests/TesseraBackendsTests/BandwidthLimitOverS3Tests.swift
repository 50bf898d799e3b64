import Foundation
import Testing
import TesseraBackends
import TesseraCore
import TesseraTestServers

/// The bandwidth limiter on a real network backend with the real clock:
/// only the transfers are timed. A token bucket absorbs the time the
/// transfers themselves take as long as they are faster than the limit, so
/// the total is (bytes − one second's burst) / rate, within 20%.
@Suite("Bandwidth limit over S3 (moto)")
struct BandwidthLimitOverS3Tests {
    @Test("Uploads and downloads run at the limit, within 20%")
    func holdsTheRate() async throws {
        let server = try await MotoS3Server.shared()
        let s3 = S3Backend(configuration: try server.configuration(bucket: MotoS3Server.freshBucketName()))
        try await s3.create()
        let rate = 2 << 20
        let limited = BandwidthLimitedBackend(s3, uploadBytesPerSecond: rate, downloadBytesPerSecond: rate)
        let objects = (0..<10).map { index in (ObjectHandle(kind: .data, id: .random()), Data.random(count: 1 << 20, seed: UInt64(index))) }
        let expected = Double(10 * (1 << 20) - rate) / Double(rate)  // 4 s

        let clock = ContinuousClock()
        let upload = try await clock.measure {
            for (handle, data) in objects { try await limited.save(handle, data: data) }
        }
        let download = try await clock.measure {
            for (handle, data) in objects {
                let loaded = try await limited.load(handle)
                #expect(loaded == data)
            }
        }
        for (name, measured) in [("upload", upload), ("download", download)] {
            let seconds = Double(measured.components.seconds) + Double(measured.components.attoseconds) * 1e-18
            #expect(abs(seconds - expected) <= 0.2 * expected, "\(name) of 10 MiB at 2 MiB/s took \(seconds) s; expected \(expected) s")
        }
    }
}
