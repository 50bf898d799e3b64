import Foundation

/// An HTTP proxy on loopback that injects faults between `tessera` and a
/// server (scripts/testing/fault-proxy.py): 500, 503, 429 with Retry-After,
/// connections dropped before or after the server did the work, slow
/// answers — each request with a set probability, from a seeded generator.
/// `down()` makes every request fail until `up()`. One per test; it stops
/// with `stop()` or when the test process ends.
public final class FaultProxy: Sendable {
    public let endpoint: URL
    private let process: ServerProcess

    /// What the proxy saw and did.
    public struct Statistics: Decodable, Sendable {
        public var requests: Int
        public var methods: [String: Int]
        public var injected: [String: Int]
        public var totalInjected: Int { injected.values.reduce(0, +) }
    }

    private init(endpoint: URL, process: ServerProcess) {
        self.endpoint = endpoint
        self.process = process
    }

    public static func start(upstream: URL, rate: Double, seed: Int = 1) async throws -> FaultProxy {
        let script = ServerProcess.repositoryRoot.appendingPathComponent("scripts/testing/fault-proxy.py").path
        let process = try ServerProcess(
            name: "fault-proxy", executable: "/usr/bin/env",
            arguments: ["python3", script, upstream.absoluteString, "--rate", String(rate), "--seed", String(seed)]
        )
        let address = try await process.waitForLine { line -> String? in
            guard line.hasPrefix("{\"endpoint\"") else { return nil }
            return (try? JSONDecoder().decode([String: String].self, from: Data(line.utf8)))?["endpoint"]
        }
        guard let endpoint = URL(string: address) else { throw ServerProcess.Failure(description: "the proxy announced \(address)") }
        return FaultProxy(endpoint: endpoint, process: process)
    }

    public func down() async throws { _ = try await command("down") }
    /// Back to the set rate: no more `down` or `fail`.
    public func up() async throws { _ = try await command("up") }
    /// Every request waits a minute before it is answered, until `up()`.
    public func hang() async throws { _ = try await command("hang") }
    /// Every request with this method (e.g. "PUT") gets a 500 until `up()`.
    public func fail(method: String) async throws { _ = try await command("fail \(method)") }
    public func setRate(_ rate: Double) async throws { _ = try await command("rate \(rate)") }
    public func statistics() async throws -> Statistics { try await command("stats") }

    /// Sends a command and waits for the statistics line it prints.
    private func command(_ line: String) async throws -> Statistics {
        let before = statisticsLines().count
        try process.send(line)
        return try await process.waitForLine(timeout: 10) { _ -> Statistics? in
            let lines = statisticsLines()
            guard lines.count > before, let last = lines.last else { return nil }
            return try? JSONDecoder().decode(Statistics.self, from: Data(last.utf8))
        }
    }

    private func statisticsLines() -> [Substring] {
        process.log.split(separator: "\n").filter { $0.hasPrefix("{\"requests\"") }
    }

    public func stop() { process.stop() }
}
