import Foundation
import Glibc
import Testing

/// A backup killed at any instant leaves a repository that `check` passes and
/// that the next backup can use (design.md invariant 5).
@Suite("Crash safety")
struct CrashSafetyTests {
    enum KillPoint: String, CaseIterable, CustomStringConvertible, Sendable {
        case after300Milliseconds, after800Milliseconds, afterSomePacksExist
        var description: String { rawValue }
    }

    /// Pack files (complete objects, not temporary files) in the repository.
    private func packCount(_ sandbox: Sandbox) throws -> Int {
        try FS.regularFiles(under: sandbox.repo + "/data").filter { !($0.split(separator: "/").last ?? "").hasPrefix(".") }.count
    }

    @Test(arguments: KillPoint.allCases)
    func killedBackupLeavesARepositoryThatChecksAndBacksUp(_ point: KillPoint) async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository(["--pack-size", "1"])
        let source = sandbox.path("src")
        try FS.mkdir(source)
        try FS.mkdir(source + "/more")
        let seed = UInt64(KillPoint.allCases.firstIndex(of: point)! * 100)
        for index in 0..<6 {
            try FS.write(source + (index < 3 ? "/" : "/more/") + "part\(index).bin", randomBytes(10 << 20, seed: seed + UInt64(index)))
        }

        let backup = try sandbox.start(["backup", "-q", source])
        switch point {
        case .after300Milliseconds:
            try await Task.sleep(for: .milliseconds(300))
        case .after800Milliseconds:
            try await Task.sleep(for: .milliseconds(800))
        case .afterSomePacksExist:
            let deadline = Date().addingTimeInterval(60)
            while try packCount(sandbox) < 3, backup.isRunning, Date() < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        if !backup.isRunning {
            throw TestFailure("the backup ended before it could be killed (\(point)); the source is too small for this machine: \(describe(await backup.wait()))")
        }
        backup.signal(SIGKILL)
        let killed = await backup.wait()
        #expect(killed.status == 128 + SIGKILL, "\(describe(killed))")
        if point == .afterSomePacksExist {
            #expect(try packCount(sandbox) >= 3)
        }

        let check = await sandbox.tessera(["check"])
        #expect(check.status == 0, "check fails after a backup killed \(point): \(describe(check))")

        let again = await sandbox.tessera(["backup", "-q", source])
        #expect(again.status == 0, "backup after a backup killed \(point): \(describe(again))")
        let target = sandbox.path("target")
        let restore = await sandbox.tessera(["restore", "latest", "--target", target])
        #expect(restore.status == 0, "\(describe(restore))")
        let differences = try compareTrees(source: bytes(source), restored: bytes(target + source))
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
        let full = await sandbox.tessera(["check", "--read-data"])
        #expect(full.status == 0, "\(describe(full))")
    }
}
