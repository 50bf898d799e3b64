import Foundation
import Glibc

/// Runs the real `tessera` binary (built next to the test bundle) as a
/// subprocess. stdout and stderr go to files (never a pipe that could fill
/// up), every run has a timeout, and waiting never blocks a thread of the
/// Swift concurrency pool, so tests that time signals stay precise while
/// other tests run.
enum TesseraProcess {
    typealias Output = (status: Int32, stdout: String, stderr: String)

    /// `.build/<config>/tessera`, found by walking up from the test bundle.
    static let binary: String = locateBinary()

    /// A clean environment: nothing inherited from the caller (no stray
    /// TESSERA_* variables), UTC so that local times are predictable.
    static let baseEnvironment: [String: String] = [
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": ProcessInfo.processInfo.environment["HOME"] ?? "/root",
        "TZ": "UTC",
        "LANG": "C.UTF-8",
    ]

    private static func locateBinary() -> String {
        let manager = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["TESSERA_TEST_BINARY"], manager.isExecutableFile(atPath: explicit) {
            return explicit
        }
        var starts = [Bundle.main.bundleURL]
        if let first = CommandLine.arguments.first {
            starts.append(URL(fileURLWithPath: first))
            starts.append(URL(fileURLWithPath: first).resolvingSymlinksInPath())
        }
        for start in starts {
            var folder = start.standardizedFileURL
            while folder.path != "/" {
                let candidate = folder.appendingPathComponent("tessera").path
                var isDirectory: ObjCBool = false
                if manager.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                   manager.isExecutableFile(atPath: candidate) {
                    return candidate
                }
                folder = folder.deletingLastPathComponent()
            }
        }
        fatalError("cannot find the tessera binary next to the test bundle (\(starts.map(\.path))); run `swift build --build-tests` first")
    }

    /// Runs `tessera args` and waits for it. `launcher` (e.g. `["/usr/bin/setsid", "-w"]`)
    /// is put in front of the binary. After `timeout` seconds the process is
    /// killed and the note "[timed out ...]" is appended to stderr.
    static func run(
        _ args: [String], env: [String: String], stdin: Data? = nil,
        launcher: [String] = [], executable: String? = nil, timeout: TimeInterval = 120
    ) async -> Output {
        do {
            let running = try start(args, env: env, stdin: stdin, launcher: launcher, executable: executable)
            return await running.wait(timeout: timeout)
        } catch {
            return (-1, "", "[test helper: cannot start tessera: \(error)]")
        }
    }

    /// Starts `tessera args` in the background (`executable`: another copy of
    /// the binary, or another program: `runTool` runs cp, rsync and gio so).
    static func start(
        _ args: [String], env: [String: String], stdin: Data? = nil, launcher: [String] = [], executable: String? = nil
    ) throws -> RunningTessera {
        try RunningTessera(arguments: args, environment: env, stdin: stdin, launcher: launcher, executable: executable ?? binary)
    }
}

/// A started `tessera` process.
final class RunningTessera: @unchecked Sendable {
    let process = Process()
    private let scratch: URL
    private let stdoutFile: URL
    private let stderrFile: URL
    private let handles: [FileHandle]

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    fileprivate init(arguments: [String], environment: [String: String], stdin: Data?, launcher: [String], executable: String) throws {
        let manager = FileManager.default
        scratch = manager.temporaryDirectory.appendingPathComponent("tessera-run-\(UUID().uuidString)")
        try manager.createDirectory(at: scratch, withIntermediateDirectories: true)
        stdoutFile = scratch.appendingPathComponent("stdout")
        stderrFile = scratch.appendingPathComponent("stderr")
        guard manager.createFile(atPath: stdoutFile.path, contents: nil), manager.createFile(atPath: stderrFile.path, contents: nil) else {
            throw TestFailure("cannot create output files in \(scratch.path)")
        }
        let input: FileHandle
        if let stdin {
            let inputFile = scratch.appendingPathComponent("stdin")
            try stdin.write(to: inputFile)
            input = try FileHandle(forReadingFrom: inputFile)
        } else {
            input = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/null"))
        }
        let output = try FileHandle(forWritingTo: stdoutFile)
        let errors = try FileHandle(forWritingTo: stderrFile)
        handles = [input, output, errors]

        if let first = launcher.first {
            process.executableURL = URL(fileURLWithPath: first)
            process.arguments = Array(launcher.dropFirst()) + [executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        process.environment = TesseraProcess.baseEnvironment.merging(environment) { _, new in new }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for handle in handles { try? handle.close() }
        try? FileManager.default.removeItem(at: scratch)
    }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to end (polling, so no pool thread is blocked).
    /// Killed by a signal: status 128 + signal, as a shell reports it.
    func wait(timeout: TimeInterval = 120) async -> TesseraProcess.Output {
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
                break
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        let stdout = String(decoding: (try? Data(contentsOf: stdoutFile)) ?? Data(), as: UTF8.self)
        var stderr = String(decoding: (try? Data(contentsOf: stderrFile)) ?? Data(), as: UTF8.self)
        if timedOut { stderr += "\n[test helper: timed out after \(Int(timeout)) s and was killed]" }
        return (status, stdout, stderr)
    }
}

/// A describable form of a run's result, for failure messages.
func describe(_ output: TesseraProcess.Output) -> String {
    "exit status \(output.status)\n--- stdout ---\n\(output.stdout.suffix(3000))\n--- stderr ---\n\(output.stderr.suffix(3000))"
}

/// One test's private folder (under the temporary directory, symlinks
/// resolved), with a repository location, a cache folder and a password.
/// Removed when the test ends.
final class Sandbox: @unchecked Sendable {
    let root: String
    var password = "correct horse battery staple"

    var repo: String { root + "/repo" }
    var cache: String { root + "/cache" }

    /// `reachableByEveryone`: a place every user can reach (for tests that run
    /// tessera as another user): the temporary directory when all its parents
    /// let others through, /tmp otherwise.
    init(reachableByEveryone: Bool = false) throws {
        let manager = FileManager.default
        var parent = manager.temporaryDirectory
        if reachableByEveryone, !Sandbox.othersCanTraverse(parent.path) { parent = URL(fileURLWithPath: "/tmp") }
        let base = parent.appendingPathComponent("tessera-e2e-\(UUID().uuidString.prefix(8))")
        try manager.createDirectory(at: base, withIntermediateDirectories: true)
        // Resolved, so that the absolute paths stored in snapshots are the real ones.
        guard let resolved = realpath(base.path, nil) else { throw TestFailure("realpath \(base.path): \(String(cString: strerror(errno)))") }
        root = String(cString: resolved)
        free(resolved)
        chmod(root, 0o755)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    private static func othersCanTraverse(_ path: String) -> Bool {
        var folder = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        while true {
            var info = stat()
            guard stat(folder.path, &info) == 0, info.st_mode & 0o001 != 0 else { return false }
            if folder.path == "/" { return true }
            folder = folder.deletingLastPathComponent()
        }
    }

    /// A path inside the sandbox.
    func path(_ relative: String) -> String { root + "/" + relative }

    /// The environment every command gets: password, cache and repository.
    var environment: [String: String] {
        ["TESSERA_PASSWORD": password, "TESSERA_CACHE_DIR": cache, "TESSERA_REPOSITORY": repo]
    }

    /// Runs tessera with the sandbox environment; `env` entries override it, and a
    /// nil value removes a variable.
    func tessera(
        _ args: [String], env overrides: [String: String?] = [:], stdin: Data? = nil,
        launcher: [String] = [], executable: String? = nil, timeout: TimeInterval = 120
    ) async -> TesseraProcess.Output {
        await TesseraProcess.run(args, env: merged(overrides), stdin: stdin, launcher: launcher, executable: executable, timeout: timeout)
    }

    func start(_ args: [String], env overrides: [String: String?] = [:]) throws -> RunningTessera {
        try TesseraProcess.start(args, env: merged(overrides))
    }

    func merged(_ overrides: [String: String?]) -> [String: String] {
        var result = environment
        for (key, value) in overrides { result[key] = value }
        return result
    }

    /// `tessera init` with cheap Argon2 parameters; fails the test when it fails.
    @discardableResult
    func initRepository(_ extra: [String] = [], env overrides: [String: String?] = [:]) async throws -> TesseraProcess.Output {
        let result = await tessera(["init", "--kdf-memory", "1024", "--kdf-iterations", "1"] + extra, env: overrides)
        guard result.status == 0 else { throw TestFailure("tessera init failed: \(describe(result))") }
        return result
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
