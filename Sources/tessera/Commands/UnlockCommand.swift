import ArgumentParser
import TesseraCore

struct UnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unlock", abstract: "Remove stale locks.")
    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("remove-all"), help: "Remove every lock, not only stale ones.")
    var removeAll = false

    func run() async throws {
        let repository = try await RepositoryOpener.open(global, synchronize: false)
        let removed = try await RepositoryLock.removeLocks(in: repository, all: removeAll)
        global.output.info("removed \(removed) lock\(removed == 1 ? "" : "s")")
    }
}
