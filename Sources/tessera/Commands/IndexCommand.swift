import ArgumentParser
import Foundation
import TesseraCore

struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "index", abstract: "Manage the index.", subcommands: [IndexRebuildCommand.self])
}

struct IndexRebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rebuild", abstract: "Rebuild the local index from pack headers.")
    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("repository"), help: "Also write fresh index files to the repository (replacing the old ones).")
    var repositoryIndex = false

    func run() async throws {
        let repository = try await RepositoryOpener.open(global, synchronize: false)
        let report = try await RepositoryOpener.withLock(repository, exclusive: repositoryIndex, command: "index rebuild") {
            let report = try await repository.rebuildIndex(writeRepositoryIndex: repositoryIndex)
            try await repository.synchronizeIndex()
            return report
        }
        for (pack, reason) in report.unreadable { global.output.warning("pack \(pack) is unreadable and was left out: \(reason)") }
        global.output.info("indexed \(report.blobs) blobs in \(report.packs) packs" + (report.indexFileWritten.map { "; wrote index \($0.short)" } ?? ""))
    }
}
