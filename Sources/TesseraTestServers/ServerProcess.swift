import Foundation
import Synchronization

/// A helper server (moto, rclone) that the tests start and that stops when
/// the test process ends, however it ends: the server's wrapper reads its
/// standard input and stops at end of file, which comes when this process
/// exits and its end of the pipe closes. Output goes to a file that
/// `waitForLine` polls, so no pipe can fill up.
public final class ServerProcess: Sendable {
    public let name: String
    private let process: Process
    private let stdin: Pipe
    public let logFile: URL

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(name: String, executable: String, arguments: [String], environment: [String: String]? = nil) throws {
        self.name = name
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-\(name)-\(UUID().uuidString.prefix(8)).log")
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil) else {
            throw Failure(description: "cannot create \(logFile.path)")
        }
        let output = try FileHandle(forWritingTo: logFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start \(name) (\(executable) \(arguments.joined(separator: " "))): \(error)")
        }
        self.process = process
        self.stdin = stdin
    }

    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Waits until the output holds a line for which `parse` gives a value.
    public func waitForLine<T>(timeout: TimeInterval = 60, _ parse: (Substring) -> T?) async throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            for line in log.split(separator: "\n") {
                if let value = parse(line) { return value }
            }
            guard process.isRunning else {
                throw Failure(description: "\(name) ended (status \(process.terminationStatus)) before it was ready; its output:\n\(log.suffix(4000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "\(name) was not ready after \(Int(timeout)) s; its output:\n\(log.suffix(4000))")
    }

    /// Writes one line to the server's input (the fault proxy takes commands there).
    public func send(_ line: String) throws {
        try stdin.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Shared servers live as long as the test process: their input pipes
    /// must not close earlier, as they would when the last reference went.
    public func keepForTheWholeRun() {
        Self.kept.withLock { $0.append(self) }
    }

    private static let kept = Mutex<[ServerProcess]>([])

    /// Stops the server now (closing its input) and waits for it.
    public func stop() {
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// The repository's root, found from this file's path (tests run from a build folder).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
