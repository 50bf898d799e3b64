import ArgumentParser
import Foundation
import TesseraBackends
import TesseraCore

struct SnapshotCreateArguments: ParsableArguments {
    @Argument(help: "Files and folders to back up.")
    var paths: [String]

    @Option(name: .customLong("tag"), help: "Tag the snapshot (repeatable).")
    var tags: [String] = []

    @Option(help: "Host name to record (default: this machine's).")
    var host: String?

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Exclude paths matching PATTERN (repeatable; `**` matches any depth).", valueName: "PATTERN"))
    var excludes: [String] = []

    @Option(name: .customLong("exclude-file"), help: ArgumentHelp("Read exclude patterns from FILE.", valueName: "FILE"))
    var excludeFiles: [String] = []

    @Option(name: .customLong("exclude-if-present"), help: ArgumentHelp("Exclude folders that contain NAME.", valueName: "NAME"))
    var excludeIfPresent: [String] = []

    @Flag(name: .customLong("exclude-caches"), help: "Exclude folders that hold a CACHEDIR.TAG.")
    var excludeCaches = false

    @Flag(name: [.customShort("x"), .customLong("one-file-system")], help: "Do not cross file system boundaries.")
    var oneFileSystem = false

    @Option(help: ArgumentHelp("Parent snapshot (default: the newest with the same host and paths).", valueName: "ID"))
    var parent: String?

    @Option(help: ArgumentHelp("The snapshot's time instead of now (YYYY-MM-DD HH:MM:SS, local time, or RFC 3339).", valueName: "TIME"))
    var time: String?

    @Flag(name: [.short, .customLong("dry-run")], help: "Read everything, write nothing.")
    var dryRun = false
}

struct SnapshotCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Make a snapshot of files and folders.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var arguments: SnapshotCreateArguments
    func run() async throws { try await SnapshotCreateRunner(global: global, arguments: arguments).run() }
}

/// Shared by `snapshot create` and `backup`.
struct SnapshotCreateRunner {
    let global: GlobalOptions
    let arguments: SnapshotCreateArguments

    func run() async throws {
        let output = global.output
        var options = BackupOptions(paths: [])
        options.paths = Array(Set(arguments.paths.map { BackupOptions.normalize(bytes: RawArguments.bytes(of: $0)) }))
            .sorted { $0.lexicographicallyPrecedes($1) }
        for path in options.paths {
            var info = stat()
            guard lstat(path.map { CChar(bitPattern: $0) } + [0], &info) == 0 else {
                throw TesseraError.invalidArgument("cannot back up \(PathBytes.display(path)): \(FileSystemError.reason(errno))")
            }
        }
        options.excludePatterns = arguments.excludes
        for file in arguments.excludeFiles {
            do {
                options.excludePatterns += try ExcludeFilter.patterns(fromFile: file)
            } catch {
                throw TesseraError.invalidArgument("\(error)")
            }
        }
        options.excludeIfPresent = arguments.excludeIfPresent
        options.excludeCaches = arguments.excludeCaches
        options.oneFileSystem = arguments.oneFileSystem
        options.tags = arguments.tags
        if let host = arguments.host { options.host = host }
        options.dryRun = arguments.dryRun
        if let time = arguments.time {
            guard let date = Timestamp.parse(time) else {
                throw TesseraError.invalidArgument("--time \"\(time)\" is not a time; use YYYY-MM-DD HH:MM:SS")
            }
            options.time = date
        }

        let (repository, stack) = try await RepositoryOpener.openMeasured(global)
        options.maxUploads = stack.connections ?? 1
        try await RepositoryOpener.withLock(repository, exclusive: false, command: "snapshot create") {
            if let parent = arguments.parent {
                options.parent = try repository.resolveSnapshot(parent).id
            } else {
                options.parent = try? repository.resolveSnapshot("latest", host: options.host, paths: options.paths.map { PathBytes.display($0) }).id
            }
            let statistics = BackupStatistics()
            let reporter = BackupReporter(output: output)
            let archiver = try Archiver(repository: repository, options: options, statistics: statistics, observer: reporter)
            let progress = ProgressDisplay(output: output) { BackupReporter.status(statistics.snapshot, output: output, elapsed: $0) }
            if output.showsProgress {
                let paths = options.paths
                Task.detached { await TotalsScanner.scan(paths: paths, into: statistics) }
            }
            let result = try await progress.whileRunning { try await archiver.run() }
            reporter.summary(result, parent: options.parent, backend: stack)
            if result.counters.unreadable > 0 {
                output.error("\(result.counters.unreadable) file(s) or folder(s) could not be read and are not in the snapshot (listed above)")
                throw ExitCode(ExitStatus.partialBackup)
            }
        }
    }
}
