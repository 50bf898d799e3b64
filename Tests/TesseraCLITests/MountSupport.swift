import Foundation
import Glibc

/// A `tessera mount` running in the background for one test. `stop()` ends
/// it with Ctrl-C; if a test fails first, `deinit` kills it and clears the
/// dead mount, so the sandbox can be removed.
final class BackgroundMount: @unchecked Sendable {
    let point: String
    let process: RunningTessera

    init(_ sandbox: Sandbox, at point: String, arguments: [String] = [], env: [String: String?] = [:]) async throws {
        self.point = point
        if !FS.exists(point) { try FS.mkdir(point) }
        process = try sandbox.start(["mount", "--json"] + arguments + [point], env: env)
        let deadline = Date().addingTimeInterval(30)
        while !FS.exists(point + "/snapshots") {
            guard process.isRunning else { throw TestFailure("the mount ended before it was ready: \(describe(await process.wait()))") }
            guard Date() < deadline else { throw TestFailure("the mount was not ready within 30 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Ctrl-C, then the command's result.
    func stop() async -> TesseraProcess.Output {
        process.signal(SIGINT)
        return await process.wait(timeout: 30)
    }

    deinit {
        if process.isRunning { process.signal(SIGKILL) }
        BackgroundMount.forceUnmount(point)
    }

    /// `fusermount3 -u -z`: clears a live or dead mount; harmless when there is none.
    static func forceUnmount(_ point: String) {
        let helper = Process()
        helper.executableURL = URL(fileURLWithPath: "/bin/fusermount3")
        helper.arguments = ["-u", "-z", "-q", point]
        helper.standardError = FileHandle.nullDevice
        try? helper.run()
        helper.waitUntilExit()
    }

    /// Whether something is mounted on `point` (its device differs from its parent's).
    static func isMounted(_ point: String) -> Bool {
        var own = stat()
        var parent = stat()
        guard stat(point, &own) == 0 else { return errno == ENOTCONN }
        guard stat(point + "/..", &parent) == 0 else { return false }
        return own.st_dev != parent.st_dev
    }
}

/// Runs a program (cp, rsync, gio, find) as the tests run `tessera`
/// (`TesseraProcess`: a clean environment, output to files, a timeout, no
/// pool thread blocked while it runs) and returns its status and its
/// stdout followed by its stderr.
func runTool(_ path: String, _ arguments: [String]) async -> (status: Int32, output: String) {
    let result = await TesseraProcess.run(arguments, env: [:], executable: path)
    return (result.status, result.stdout + result.stderr)
}
