import Foundation
import Glibc
import Testing

/// Exit statuses, password sources, unreadable files and key management.
@Suite("Errors")
struct ErrorTests {
    @Test func wrongPasswordExitsWith12() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let wrong = await sandbox.tessera(["snapshots"], env: ["TESSERA_PASSWORD": "not the password"])
        #expect(wrong.status == 12, "\(describe(wrong))")
        #expect(wrong.stderr.lowercased().contains("password"), "\(describe(wrong))")
        #expect(!wrong.stderr.contains("Fatal error") && !wrong.stderr.contains("TesseraError"), "\(describe(wrong))")
    }

    @Test func missingRepositoryExitsWith10() async throws {
        let sandbox = try Sandbox()
        let list = await sandbox.tessera(["snapshots", "-r", sandbox.path("nothing-here")])
        #expect(list.status == 10, "\(describe(list))")
        #expect(list.stderr.contains(sandbox.path("nothing-here")), "the message does not name the location: \(describe(list))")
        try FS.mkdir(sandbox.path("src"))
        let backup = await sandbox.tessera(["backup", sandbox.path("src")])
        #expect(backup.status == 10, "\(describe(backup))")
    }

    @Test func initOverAnExistingRepositoryFailsAndKeepsIt() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        let config = try FS.read(sandbox.repo + "/config")
        let keys = try FS.names(sandbox.repo + "/keys")

        let again = await sandbox.tessera(["init", "--kdf-memory", "1024", "--kdf-iterations", "1"])
        #expect(again.status != 0, "a second init succeeded: \(describe(again))")
        let otherPassword = await sandbox.tessera(["init", "--kdf-memory", "1024", "--kdf-iterations", "1"], env: ["TESSERA_PASSWORD": "another"])
        #expect(otherPassword.status != 0, "a second init succeeded: \(describe(otherPassword))")

        #expect(try FS.read(sandbox.repo + "/config") == config, "init rewrote the config")
        #expect(try FS.names(sandbox.repo + "/keys") == keys, "init changed the keys")
        let list = await sandbox.tessera(["snapshots", "--json"])
        #expect(list.status == 0, "\(describe(list))")
        #expect(jsonArray(list.stdout)?.count == 1)
    }

    @Test func fullDiskFailsWithOneClearMessageAndTheRepositoryStillChecks() async throws {
        let sandbox = try Sandbox()
        let disk = sandbox.path("small-disk")
        try FS.mkdir(disk)
        let mount = await TesseraProcess.run(["-t", "tmpfs", "-o", "size=3m", "tmpfs", disk], env: [:], executable: "/bin/mount")
        try #require(mount.status == 0, "cannot mount a small tmpfs: \(describe(mount))")
        defer { _ = Glibc.umount2(disk, Int32(MNT_DETACH)) }
        let source = sandbox.path("src")
        try FS.mkdir(source)
        try FS.write(source + "/big.bin", randomBytes(8 << 20, seed: 91))
        let repository = ["-r", disk + "/repo"]
        #expect(await sandbox.tessera(repository + ["init", "--kdf-memory", "1024", "--kdf-iterations", "1"]).status == 0)

        let backup = await sandbox.tessera(repository + ["backup", source])
        #expect(backup.status == 1, "\(describe(backup))")
        #expect(backup.stderr.contains("No space left on device") && backup.stderr.contains("free space"), "\(describe(backup))")
        #expect(!backup.stderr.contains("Fatal error"), "\(describe(backup))")
        #expect(try FS.names(disk + "/repo/locks").isEmpty, "the failed backup left its lock")
        let check = await sandbox.tessera(repository + ["check"])
        #expect(check.status == 0, "\(describe(check))")
    }

    @Test func initRefusesAFolderThatIsNotEmpty() async throws {
        let sandbox = try Sandbox()
        try FS.mkdir(sandbox.repo)
        try FS.write(sandbox.repo + "/precious.txt", "not a repository\n")
        let result = await sandbox.tessera(["init", "--kdf-memory", "1024", "--kdf-iterations", "1"])
        #expect(result.status == 1, "\(describe(result))")
        #expect(result.stderr.contains("not empty") && result.stderr.contains(sandbox.repo), "\(describe(result))")
        #expect(try FS.names(sandbox.repo) == ["precious.txt"])
    }

    @Test func invalidExcludePatternIsACommandLineError() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        try FS.mkdir(sandbox.path("src"))
        let result = await sandbox.tessera(["backup", sandbox.path("src"), "--exclude", "[unterminated"])
        #expect(result.status == 64, "\(describe(result))")
        #expect(result.stderr.contains("[unterminated"), "\(describe(result))")
    }

    @Test func unknownSubcommandOrOptionExitsWith64() async throws {
        let sandbox = try Sandbox()
        let unknown = await sandbox.tessera(["frobnicate"])
        #expect(unknown.status == 64, "\(describe(unknown))")
        let option = await sandbox.tessera(["snapshots", "--no-such-option"])
        #expect(option.status == 64, "\(describe(option))")
    }

    @Test func passwordFileEnvironmentVariableIsUsed() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let file = sandbox.path("password.txt")
        try FS.write(file, sandbox.password + "\n")
        let right = await sandbox.tessera(["snapshots"], env: ["TESSERA_PASSWORD": nil, "TESSERA_PASSWORD_FILE": file])
        #expect(right.status == 0, "\(describe(right))")
        try FS.write(sandbox.path("wrong.txt"), "wrong\n")
        let wrong = await sandbox.tessera(["snapshots"], env: ["TESSERA_PASSWORD": nil, "TESSERA_PASSWORD_FILE": sandbox.path("wrong.txt")])
        #expect(wrong.status == 12, "\(describe(wrong))")
    }

    @Test func passwordFileOptionIsUsed() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let file = sandbox.path("password.txt")
        try FS.write(file, sandbox.password + "\n")
        let after = await sandbox.tessera(["snapshots", "--password-file", file], env: ["TESSERA_PASSWORD": nil])
        #expect(after.status == 0, "\(describe(after))")
        let before = await sandbox.tessera(["--password-file", file, "snapshots"], env: ["TESSERA_PASSWORD": nil])
        #expect(before.status == 0, "\(describe(before))")
        // The option wins over the environment.
        let overridden = await sandbox.tessera(["snapshots", "--password-file", file], env: ["TESSERA_PASSWORD": "wrong"])
        #expect(overridden.status == 0, "\(describe(overridden))")
        let missing = await sandbox.tessera(["snapshots", "--password-file", sandbox.path("absent.txt")], env: ["TESSERA_PASSWORD": nil])
        #expect(missing.status == 12, "\(describe(missing))")
    }

    @Test func passwordCommandIsUsed() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let right = await sandbox.tessera(["snapshots"], env: ["TESSERA_PASSWORD": nil, "TESSERA_PASSWORD_COMMAND": "echo '\(sandbox.password)'"])
        #expect(right.status == 0, "\(describe(right))")
        let wrong = await sandbox.tessera(["snapshots"], env: ["TESSERA_PASSWORD": nil, "TESSERA_PASSWORD_COMMAND": "echo wrong"])
        #expect(wrong.status == 12, "\(describe(wrong))")
        let failing = await sandbox.tessera(["snapshots"], env: ["TESSERA_PASSWORD": nil, "TESSERA_PASSWORD_COMMAND": "exit 3"])
        #expect(failing.status == 12, "\(describe(failing))")
        #expect(failing.stderr.contains("TESSERA_PASSWORD_COMMAND"), "\(describe(failing))")
    }

    @Test func missingPasswordWithoutTerminalFailsClearly() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        // A new session has no controlling terminal, so there is nobody to ask.
        let result = await sandbox.tessera(["snapshots"], env: ["TESSERA_PASSWORD": nil], launcher: ["/usr/bin/setsid", "--wait"], timeout: 30)
        #expect(!result.stderr.contains("timed out"), "tessera waited for a password that cannot come: \(describe(result))")
        #expect(result.status == 12, "\(describe(result))")
        #expect(result.stderr.lowercased().contains("password"), "\(describe(result))")
        let initWithout = await sandbox.tessera(["init", "-r", sandbox.path("other")], env: ["TESSERA_PASSWORD": nil], launcher: ["/usr/bin/setsid", "--wait"], timeout: 30)
        #expect(initWithout.status == 12, "\(describe(initWithout))")
        #expect(!FS.exists(sandbox.path("other/config")))
    }

    @Test func unreadableFileIsReportedAndTheRestIsBackedUp() async throws {
        let sandbox = try Sandbox(reachableByEveryone: true)
        // tessera runs as `nobody` (root could read any file); it needs its own copy
        // of the binary in case the build folder is private, and folders it owns.
        let binary = sandbox.path("tessera")
        try FileManager.default.copyItem(atPath: TesseraProcess.binary, toPath: binary)
        try FS.chmod(binary, 0o755)
        for folder in [sandbox.repo, sandbox.cache] {
            try FS.mkdir(folder)
            try FS.lchown(bytes(folder), uid: 65534, gid: 65534)
        }
        let asNobody = ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        let initialized = await sandbox.tessera(["init", "--kdf-memory", "1024", "--kdf-iterations", "1"], launcher: asNobody, executable: binary)
        try #require(initialized.status == 0, "\(describe(initialized))")

        let source = sandbox.path("src")
        try FS.mkdir(source)
        try FS.write(source + "/readable.txt", "anyone may read this\n")
        try FS.write(source + "/secret.txt", "only root\n")
        try FS.chmod(source + "/secret.txt", 0o000)
        try FS.mkdir(source + "/closed", mode: 0o700)
        try FS.write(source + "/closed/inside.txt", "behind a closed folder\n")
        try FS.write(source + "/zz-after.txt", "read after the failures\n")

        let backup = await sandbox.tessera(["backup", source], launcher: asNobody, executable: binary)
        #expect(backup.status == 3, "\(describe(backup))")
        #expect(backup.stderr.contains(source + "/secret.txt"), "the unreadable file is not named: \(describe(backup))")
        #expect(backup.stderr.contains(source + "/closed"), "the unreadable folder is not named: \(describe(backup))")

        let list = await sandbox.tessera(["snapshots", "--json"])
        #expect(jsonArray(list.stdout)?.count == 1, "no snapshot was saved: \(describe(list))")
        let listing = await sandbox.tessera(["ls", "--recursive", "latest", source])
        #expect(listing.status == 0, "\(describe(listing))")
        let listed = Set(lines(listing.stdout).map(String.init))
        #expect(listed.contains(source + "/readable.txt") && listed.contains(source + "/zz-after.txt"), "\(listing.stdout)")
        #expect(!listed.contains(source + "/secret.txt"), "an unreadable file is in the snapshot: \(listing.stdout)")
        let target = sandbox.path("target")
        #expect(await sandbox.tessera(["restore", "latest", "--target", target]).status == 0)
        #expect(try FS.read(target + source + "/readable.txt") == bytes("anyone may read this\n"))
        #expect(try FS.read(target + source + "/zz-after.txt") == bytes("read after the failures\n"))
    }

    @Test func restoreIntoATargetThatCannotBeCreatedFailsWithAClearMessage() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        let file = sandbox.path("a-file")
        try FS.write(file, "not a folder\n")

        for target in [file + "/sub", file] {
            let restore = await sandbox.tessera(["restore", "latest", "--target", target])
            #expect(restore.status == 1, "\(describe(restore))")
            #expect(restore.stderr.contains(target), "the message does not name the target: \(describe(restore))")
            #expect(!restore.stderr.contains("Error Domain"), "a raw internal error reached the user: \(describe(restore))")
        }
        #expect(try FS.read(file) == bytes("not a folder\n"))
    }

    @Test func cacheFolderThatCannotBeCreatedFailsWithAClearMessage() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let file = sandbox.path("a-file")
        try FS.write(file, "not a folder\n")
        let list = await sandbox.tessera(["snapshots", "--cache-dir", file + "/cache"])
        #expect(list.status == 1, "\(describe(list))")
        #expect(list.stderr.contains(file + "/cache"), "the message does not name the cache folder: \(describe(list))")
        #expect(!list.stderr.contains("Error Domain"), "a raw internal error reached the user: \(describe(list))")
    }

    // MARK: Keys

    /// The key ids, and which one opened the repository, as `key list --json` shows them.
    private func keys(_ sandbox: Sandbox, password: String) async throws -> (all: [String], current: String?) {
        let list = await sandbox.tessera(["key", "list", "--json"], env: ["TESSERA_PASSWORD": password])
        try #require(list.status == 0, "\(describe(list))")
        let array = try #require(jsonArray(list.stdout), "not a JSON array: \(list.stdout)")
        let all = array.compactMap { $0["id"] as? String }
        let current = array.filter { $0["current"] as? Bool == true }.compactMap { $0["id"] as? String }
        #expect(current.count == 1, "exactly one key is the current one: \(list.stdout)")
        return (all, current.first)
    }

    private func opens(_ sandbox: Sandbox, with password: String) async -> Int32 {
        await sandbox.tessera(["snapshots"], env: ["TESSERA_PASSWORD": password]).status
    }

    @Test func keyAddCreatesASecondPasswordThatOpensTheRepository() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        try FS.write(sandbox.path("new.txt"), "second password\n")
        let add = await sandbox.tessera(["key", "add", "--new-password-file", sandbox.path("new.txt")])
        #expect(add.status == 0, "\(describe(add))")
        #expect(await opens(sandbox, with: "second password") == 0)
        #expect(await opens(sandbox, with: sandbox.password) == 0)
        let listed = try await keys(sandbox, password: "second password")
        #expect(listed.all.count == 2)
        let text = await sandbox.tessera(["key", "list"])
        #expect(listed.all.allSatisfy { text.stdout.contains(String($0.prefix(8))) }, "\(text.stdout)")
    }

    @Test func keyRemoveDeletesAnotherKey() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        try FS.write(sandbox.path("new.txt"), "second password\n")
        try #require(await sandbox.tessera(["key", "add", "--new-password-file", sandbox.path("new.txt")]).status == 0)
        let original = try #require(try await keys(sandbox, password: sandbox.password).current)

        let remove = await sandbox.tessera(["key", "remove", original], env: ["TESSERA_PASSWORD": "second password"])
        #expect(remove.status == 0, "\(describe(remove))")
        #expect(await opens(sandbox, with: sandbox.password) == 12)
        #expect(await opens(sandbox, with: "second password") == 0)
        #expect(try await keys(sandbox, password: "second password").all.count == 1)
    }

    @Test func keyPasswdReplacesThePassword() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        try FS.write(sandbox.path("changed.txt"), "changed password\n")

        let passwd = await sandbox.tessera(["key", "passwd", "--new-password-file", sandbox.path("changed.txt")])
        #expect(passwd.status == 0, "\(describe(passwd))")
        #expect(await opens(sandbox, with: sandbox.password) == 12, "the old password still works")
        #expect(await opens(sandbox, with: "changed password") == 0)
        #expect(try await keys(sandbox, password: "changed password").all.count == 1)
        // Nothing was re-encrypted: the data is still there.
        let target = sandbox.path("target")
        #expect(await sandbox.tessera(["restore", "latest", "--target", target], env: ["TESSERA_PASSWORD": "changed password"]).status == 0)
        #expect(try compareTrees(source: bytes(source), restored: bytes(target + source)).isEmpty)
    }

    @Test func removingTheCurrentKeyIsRefused() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        try FS.write(sandbox.path("new.txt"), "second password\n")
        try #require(await sandbox.tessera(["key", "add", "--new-password-file", sandbox.path("new.txt")]).status == 0)
        let before = try await keys(sandbox, password: sandbox.password)
        let current = try #require(before.current)

        let remove = await sandbox.tessera(["key", "remove", current])
        #expect(remove.status != 0, "the key in use was removed: \(describe(remove))")
        #expect(!remove.stderr.isEmpty, "no reason given: \(describe(remove))")
        #expect(try await keys(sandbox, password: sandbox.password).all.sorted() == before.all.sorted())
        #expect(await opens(sandbox, with: sandbox.password) == 0)
    }
}
