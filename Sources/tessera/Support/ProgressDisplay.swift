import Foundation

/// Redraws one status line on a terminal (at most 4 times a second), or
/// prints a JSON status line each second with --json; silent otherwise.
struct ProgressDisplay: Sendable {
    let output: Output
    /// Renders the line for the time elapsed; with --json, a JSON object.
    let render: @Sendable (TimeInterval) -> String

    func whileRunning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        guard output.showsProgress || output.json else { return try await body() }
        let started = Date()
        let interval: Duration = output.json ? .seconds(1) : .milliseconds(250)
        let json = output.json
        let ticker = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                let line = render(Date().timeIntervalSince(started))
                if json {
                    Console.out(line + "\n")
                } else {
                    Console.out("\r\u{1B}[K" + line)
                }
            }
        }
        defer {
            ticker.cancel()
            if !json { Console.out("\r\u{1B}[K") }
        }
        let result = try await body()
        ticker.cancel()
        _ = await ticker.value
        return result
    }
}
