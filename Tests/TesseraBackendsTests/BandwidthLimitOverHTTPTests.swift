import Foundation
import Testing
import TesseraBackends
import TesseraCore
import TesseraTestServers

/// The bandwidth limiter on a real network backend with the real clock:
/// only the transfers are timed. A token bucket absorbs the time the
/// transfers themselves take as long as they are faster than the limit, so
/// the total is (bytes − one second's burst) / rate, within 20%. The server
/// is rclone's (Go, several threads) rather than moto (Python, one core),
/// which the other suites keep busy: a slow server would time itself, not
/// the limiter. The rate is low (256 KiB/s) for the same reason: on a busy
/// two-core machine, a transfer must still take well under its share of a
/// second, or the test times the machine.
@Suite("Bandwidth limit over HTTP (rclone serve restic)")
struct BandwidthLimitOverHTTPTests {
    @Test("Uploads and downloads run at the limit, within 20%")
    func holdsTheRate() async throws {
        let server = try await RcloneRESTServer.shared()
        let rest = RESTBackend(location: try RESTLocation.parse(String(server.freshRepositoryURL().dropFirst("rest:".count))))
        try await rest.create()
        let rate = 256 << 10
        let limited = BandwidthLimitedBackend(rest, uploadBytesPerSecond: rate, downloadBytesPerSecond: rate)
        let objects = (0..<8).map { index in (ObjectHandle(kind: .data, id: .random()), Data.random(count: rate, seed: UInt64(index))) }
        let expected = Double(8 * rate - rate) / Double(rate)  // 7 s

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
            #expect(abs(seconds - expected) <= 0.2 * expected, "\(name) of 2 MiB at 256 KiB/s took \(seconds) s; expected \(expected) s")
        }
    }
}
