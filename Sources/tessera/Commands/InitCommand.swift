import ArgumentParser
import Foundation
import TesseraCore

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a repository (fails if one exists).")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Chunk sizes MIN/AVG/MAX in KiB (AVG a power of two).")
    var chunkSizes = "512/1024/8192"

    @Option(help: "zstd compression level (1-22).")
    var compressionLevel = 3

    @Option(help: "Target pack size in MiB.")
    var packSize = 16

    @Option(help: ArgumentHelp("Argon2id memory in KiB.", visibility: .hidden))
    var kdfMemory = PasswordKDF.defaultMemory >> 10

    @Option(help: ArgumentHelp("Argon2id passes.", visibility: .hidden))
    var kdfIterations = PasswordKDF.defaultIterations

    func run() async throws {
        let backend = try RepositoryOpener.backend(global)
        var options = Repository.InitOptions()
        let sizes = chunkSizes.split(separator: "/").compactMap { Int($0) }
        guard sizes.count == 3 else { throw TesseraError.invalidArgument("--chunk-sizes takes MIN/AVG/MAX in KiB, e.g. 512/1024/8192") }
        options.chunker = ChunkerParameters(minSize: sizes[0] << 10, averageSize: sizes[1] << 10, maxSize: sizes[2] << 10)
        options.compressionLevel = compressionLevel
        options.packSize = packSize << 20
        options.kdf = PasswordKDF(memory: kdfMemory << 10, iterations: kdfIterations)
        if try await backend.exists(.config) { throw TesseraError.repositoryExists(location: backend.location) }
        let password = try PasswordSource.password(global, confirm: true)
        let repository = try await Repository.initialize(
            backend: backend, password: password, options: options, cacheRoot: global.cacheRoot, logger: RepositoryOpener.logger(global)
        )
        if global.json {
            global.output.jsonLine(["message_type": .string("initialized"), "id": .string(repository.config.id), "repository": .string(backend.location)])
        } else {
            global.output.info("created tessera repository \(repository.config.id.prefix(10)) at \(backend.location)")
            global.output.info("Keep the password safe: without it the data cannot be recovered.")
        }
    }
}
