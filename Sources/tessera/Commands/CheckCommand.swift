import ArgumentParser
import Foundation
import TesseraBackends
import TesseraCore

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Verify the repository's structure, and optionally its data.")
    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("read-data"), help: "Also read, decrypt and verify every blob.")
    var readData = false

    @Option(name: .customLong("read-data-subset"), help: ArgumentHelp("Read only a subset of the packs: N% or N/M.", valueName: "SUBSET"))
    var readDataSubset: String?

    func run() async throws {
        var selection: ReadDataSelection? = readData ? .all : nil
        if let readDataSubset {
            guard let subset = ReadDataSelection(subset: readDataSubset) else {
                throw ValidationError("--read-data-subset takes N% (0 < N <= 100) or N/M (1 <= N <= M)")
            }
            selection = subset
        }
        let (repository, stack) = try await RepositoryOpener.openMeasured(global)
        let output = global.output
        let tracker = CheckProgress()
        let display = ProgressDisplay(output: output) { elapsed in tracker.line(elapsed: elapsed, json: output.json) }
        let report = try await RepositoryOpener.withLock(repository, exclusive: false, command: "check") {
            try await display.whileRunning { try await Checker(repository: repository, observer: tracker).run(readData: selection) }
        }
        if global.json {
            output.jsonLine([
                "message_type": .string("summary"), "errors": .array(report.errors.map { .string($0) }),
                "warnings": .array(report.warnings.map { .string($0) }), "snapshots": .int(report.snapshots),
                "trees": .int(report.trees), "packs": .int(report.packs), "packs_read": .int(report.packsRead),
                "damaged_packs": .array(report.damagedPacks.map { .string($0) }),
                "affected_files": .array(report.affectedFiles.map { .string($0) }),
                "backend_requests": BackendRequestSummary.json(stack),
            ])
        } else {
            output.info("checked \(report.snapshots) snapshots, \(report.trees) trees, \(report.packs) packs" + (selection == nil ? "" : ", read \(report.packsRead) packs (\(report.blobsRead) blobs)"))
            for warning in report.warnings { output.warning(warning) }
            for error in report.errors { Console.err("error: \(error)\n") }
            if !report.affectedFiles.isEmpty {
                Console.err("files that lose data:\n")
                for file in report.affectedFiles { Console.err("  \(file)\n") }
            }
        }
        guard report.isClean else {
            output.error("the repository has errors (above). Damaged packs: \(report.damagedPacks.isEmpty ? "none" : report.damagedPacks.joined(separator: ", "))")
            throw ExitCode(ExitStatus.failure)
        }
        output.info("no errors were found")
    }
}
