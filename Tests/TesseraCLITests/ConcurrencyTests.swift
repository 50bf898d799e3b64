import Foundation
import Glibc
import Testing

/// Several processes on one repository, and the locks between them.
@Suite("Concurrency")
struct ConcurrencyTests {
    /// The lock objects in the repository (not the temporary files of a write in progress).
    private func locks(_ sandbox: Sandbox) throws -> [String] {
        try FS.names(sandbox.repo + "/locks").filter { !$0.hasPrefix(".") }
    }

    /// Waits until `process` has written its lock; fails when it ends or 20 s pass first.
    private func waitForLock(_ sandbox: Sandbox, _ process: RunningTessera) async throws {
        let deadline = Date().addingTimeInterval(20)
        while try locks(sandbox).isEmpty {
            guard process.isRunning else { throw TestFailure("the backup ended before its lock was seen: \(describe(await process.wait()))") }
            guard Date() < deadline else { throw TestFailure("no lock appeared within 20 s") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func simultaneousBackupsIntoOneRepositoryBothSucceed() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let shared = randomBytes(1 << 20, seed: 50)  // in both folders: both processes store the same chunks
        var sources = [String]()
        for number in 1...2 {
            let source = sandbox.path("src\(number)")
            try FS.mkdir(source)
            try FS.mkdir(source + "/sub")
            for index in 1...3 { try FS.write(source + "/sub/file\(index).bin", randomBytes(1 << 20, seed: UInt64(number * 10 + index))) }
            try FS.write(source + "/shared.bin", shared)
            try FS.write(source + "/name.txt", "folder \(number)\n")
            sources.append(source)
        }

        let first = try sandbox.start(["backup", "--json", sources[0]])
        let second = try sandbox.start(["backup", "--json", sources[1]])
        let results = [await first.wait(), await second.wait()]
        for result in results { #expect(result.status == 0, "\(describe(result))") }
        let ids = try results.map { try #require(summary($0)?["snapshot_id"] as? String, "\(describe($0))") }

        let list = await sandbox.tessera(["snapshots", "--json"])
        let array = try #require(jsonArray(list.stdout), "\(describe(list))")
        #expect(Set(array.compactMap { $0["id"] as? String }) == Set(ids))
        #expect(Set(array.compactMap { ($0["paths"] as? [String])?.first }) == Set(sources))

        for (index, id) in ids.enumerated() {
            let target = sandbox.path("target\(index)")
            let restore = await sandbox.tessera(["restore", id, "--target", target])
            #expect(restore.status == 0, "\(describe(restore))")
            let differences = try compareTrees(source: bytes(sources[index]), restored: bytes(target + sources[index]))
            #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
        }
        let check = await sandbox.tessera(["check", "--read-data"])
        #expect(check.status == 0, "\(describe(check))")
        let remaining = try locks(sandbox)
        #expect(remaining.isEmpty, "locks left behind: \(remaining)")
    }

    @Test func unlockRemovesTheStaleLockOfAKilledBackup() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try FS.mkdir(source)
        try FS.write(source + "/big.bin", randomBytes(8 << 20, seed: 60))

        let backup = try sandbox.start(["backup", source])
        try await waitForLock(sandbox, backup)
        backup.signal(SIGKILL)
        let killed = await backup.wait()
        #expect(killed.status == 128 + SIGKILL, "\(describe(killed))")
        #expect(try locks(sandbox).count == 1, "the killed backup left no lock to test with")

        let unlock = await sandbox.tessera(["unlock"])
        #expect(unlock.status == 0, "\(describe(unlock))")
        #expect(unlock.stdout.contains("removed 1 lock"), "\(describe(unlock))")
        let remaining = try locks(sandbox)
        #expect(remaining.isEmpty, "the stale lock is still there: \(remaining)")
        let check = await sandbox.tessera(["check"])
        #expect(check.status == 0, "\(describe(check))")
    }

    @Test func interruptedBackupReleasesItsLockAndExits130() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository(["--pack-size", "1"])
        let source = sandbox.path("src")
        try FS.mkdir(source)
        for index in 0..<4 { try FS.write(source + "/file\(index).bin", randomBytes(6 << 20, seed: UInt64(70 + index))) }

        // Uploads limited to 1 MiB/s: the 24 MiB take over 20 s, so the
        // signal surely comes mid-backup, however fast the machine.
        let backup = try sandbox.start(["--limit-upload", "1024", "backup", source])
        try await waitForLock(sandbox, backup)
        let deadline = Date().addingTimeInterval(20)
        while try FS.regularFiles(under: sandbox.repo + "/data").isEmpty, backup.isRunning, Date() < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        guard backup.isRunning else { throw TestFailure("the backup ended before it could be interrupted: \(describe(await backup.wait()))") }
        backup.signal(SIGINT)
        let interrupted = await backup.wait()
        #expect(interrupted.status == 130, "\(describe(interrupted))")
        #expect(interrupted.stderr.contains("interrupted"), "\(describe(interrupted))")
        #expect(!interrupted.stderr.contains("Fatal error") && !interrupted.stderr.contains("Stack"), "\(describe(interrupted))")
        #expect(try locks(sandbox).isEmpty, "the interrupted backup left its lock")
        let check = await sandbox.tessera(["check"])
        #expect(check.status == 0, "\(describe(check))")
        let again = await sandbox.tessera(["backup", "-q", source])
        #expect(again.status == 0, "\(describe(again))")
    }

    @Test func exclusiveCommandIsRefusedWhileABackupHoldsItsLock() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try FS.mkdir(source)
        try FS.write(source + "/big.bin", randomBytes(8 << 20, seed: 61))

        let backup = try sandbox.start(["backup", "-q", source])
        try await waitForLock(sandbox, backup)
        backup.signal(SIGSTOP)  // alive, holding its lock, doing nothing
        defer { backup.signal(SIGCONT) }

        let rebuild = await sandbox.tessera(["index", "rebuild", "--repository"])
        #expect(rebuild.status == 11, "\(describe(rebuild))")
        #expect(rebuild.stderr.contains("locked"), "\(describe(rebuild))")
        // A lock of a live process is not stale: unlock leaves it.
        let unlock = await sandbox.tessera(["unlock"])
        #expect(unlock.status == 0, "\(describe(unlock))")
        #expect(try locks(sandbox).count == 1, "unlock removed the lock of a running backup")

        backup.signal(SIGCONT)
        let finished = await backup.wait()
        #expect(finished.status == 0, "\(describe(finished))")
        #expect(try locks(sandbox).isEmpty, "the backup did not release its lock")
        let check = await sandbox.tessera(["check", "--read-data"])
        #expect(check.status == 0, "\(describe(check))")
    }
}
