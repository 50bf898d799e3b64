import ArgumentParser
import Foundation
import TesseraBackends
import TesseraCore

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a snapshot, or part of one.",
        discussion: """
            `restore ID --target DIR` recreates DIR/<absolute path> for everything in the snapshot;
            `restore ID:/abs/path --target DIR` puts the contents of that path directly in DIR.
            """
    )
    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Snapshot id or `latest`, optionally followed by :/path.", valueName: "SNAPSHOT[:PATH]"))
    var snapshot: String

    @Option(name: [.short, .long], help: "Folder to restore into.")
    var target: String

    @Option(name: .customLong("include"), help: ArgumentHelp("Restore only paths matching PATTERN (repeatable).", valueName: "PATTERN"))
    var includes: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Do not restore paths matching PATTERN (repeatable).", valueName: "PATTERN"))
    var excludes: [String] = []

    @Flag(name: .customLong("dry-run"), help: "List what would be written; write nothing.")
    var dryRun = false

    @Flag(help: "Re-read every restored file and check it against the snapshot.")
    var verify = false

    @Option(help: "When an entry exists: always, if-changed, never.")
    var overwrite = "always"

    @Option(help: "With `latest`: only snapshots of this host.")
    var host: String?

    func run() async throws {
        guard let policy = OverwritePolicy(rawValue: overwrite) else {
            throw ValidationError("--overwrite takes always, if-changed or never")
        }
        var name = snapshot
        var subpath = "/"
        if let colon = snapshot.firstIndex(of: ":") {
            name = String(snapshot[..<colon])
            subpath = String(snapshot[snapshot.index(after: colon)...])
            if subpath.isEmpty { subpath = "/" }
        }
        let (repository, stack) = try await RepositoryOpener.openMeasured(global)
        let output = global.output
        try await RepositoryOpener.withLock(repository, exclusive: false, command: "restore") {
            let (id, snapshot) = try repository.resolveSnapshot(name, host: host)
            var options = RestoreOptions(target: target)
            options.subpath = BackupOptions.normalize(subpath, currentDirectory: "/")
            options.includes = includes
            options.excludes = excludes
            options.dryRun = dryRun
            options.verify = verify
            options.overwrite = policy
            if let connections = stack.connections { options.loadConcurrency = max(options.loadConcurrency, connections) }
            let reporter = RestoreReporter(output: output, dryRun: dryRun)
            let restorer = try Restorer(repository: repository, options: options, observer: reporter)
            if !dryRun { output.info("restoring snapshot \(id.short) of \(snapshot.pathStrings.joined(separator: ", ")) to \(target)") }
            let started = Date()
            // The snapshot's own total, when a full restore makes it the right one.
            let total = subpath == "/" && includes.isEmpty && excludes.isEmpty ? snapshot.summary?.totalBytes : nil
            let progress = ProgressDisplay(output: output) { elapsed in
                RestoreReporter.status(restorer.progress, total: total, elapsed: elapsed, json: output.json)
            }
            let report = dryRun ? try await restorer.run(snapshot: snapshot) : try await progress.whileRunning { try await restorer.run(snapshot: snapshot) }
            let elapsed = Date().timeIntervalSince(started)
            if global.json {
                output.jsonLine([
                    "message_type": .string("summary"), "snapshot_id": .string(id.hex), "dry_run": .bool(dryRun),
                    "files_restored": .int(report.files), "dirs_restored": .int(report.directories),
                    "other_restored": .int(report.otherEntries), "skipped": .int(report.skipped),
                    "bytes_written": .int(report.bytesWritten), "files_verified": .int(report.verifiedFiles),
                    "errors": .int(report.problems.count), "duration_seconds": .number(elapsed),
                    "backend_requests": BackendRequestSummary.json(stack),
                ])
            } else {
                let verb = dryRun ? "would restore" : "restored"
                output.info("\(verb) \(report.files) files, \(report.directories) dirs, \(report.otherEntries) other entries (\(Format.bytes(report.bytesWritten)) written, \(report.skipped) skipped) in \(Format.duration(elapsed))")
                if verify { output.info("verified \(report.verifiedFiles) files") }
            }
            if !report.problems.isEmpty {
                output.error("\(report.problems.count) file(s) could not be restored exactly (listed above); every other file was restored")
                throw ExitCode(ExitStatus.failure)
            }
        }
    }
}

struct RestoreReporter: RestoreObserver {
    let output: Output
    let dryRun: Bool

    func entry(path: String, type: NodeType, size: UInt64, action: RestoreAction) {
        if output.json {
            guard dryRun || output.verbose else { return }
            output.jsonLine(["message_type": .string("entry"), "path": .string(path), "type": .string(type.name),
                             "size": .int(size), "action": .string(action.rawValue)])
        } else if dryRun {
            output.line("\(action == .skip ? "skip    " : "restore ") \(path)\(type == .file ? " (\(Format.bytes(size)))" : "")")
        } else {
            output.detail("\(action.rawValue) \(path)")
        }
    }

    func problem(path: String, reason: String) {
        output.itemError(path, reason, prefix: "error: ")
    }

    static func status(_ report: RestoreReport, total: UInt64?, elapsed: TimeInterval, json: Bool) -> String {
        let rate = elapsed > 0 ? Double(report.bytesWritten) / elapsed : 0
        let eta = total.flatMap { total -> TimeInterval? in
            rate > 0 && total > report.bytesWritten ? Double(total - report.bytesWritten) / rate : nil
        }
        if json {
            var fields: [String: JSONValue] = [
                "message_type": .string("status"), "seconds_elapsed": .number(elapsed),
                "files_restored": .int(report.files), "bytes_written": .int(report.bytesWritten), "errors": .int(report.problems.count),
            ]
            if let total { fields["total_bytes"] = .int(total) }
            if let eta { fields["seconds_remaining"] = .number(eta) }
            return JSONValue.object(fields).serialized
        }
        var line = "[\(Format.duration(elapsed))] \(report.files) files, \(Format.bytes(report.bytesWritten))"
        if let total { line += "/\(Format.bytes(total))" }
        line += String(format: ", %@/s", Format.bytes(UInt64(rate)))
        if let eta { line += ", ETA \(Format.duration(eta))" }
        if !report.problems.isEmpty { line += ", \(report.problems.count) errors" }
        return line
    }
}
