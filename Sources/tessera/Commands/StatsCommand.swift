import ArgumentParser
import Foundation
import TesseraCore

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Sizes: logical, deduplicated, stored; ratios.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let repository = try await RepositoryOpener.open(global)
        let snapshots = try repository.snapshots()
        let totals = try repository.index.totals()
        let logical = snapshots.reduce(UInt64(0)) { $0 + ($1.snapshot.summary?.totalBytes ?? 0) }
        let data = totals.blobs[.data] ?? (0, 0, 0)
        let trees = totals.blobs[.tree] ?? (0, 0, 0)
        let deduplicated = UInt64(data.raw)
        let stored = UInt64(max(0, totals.packBytes))
        let dedupRatio = deduplicated > 0 ? Double(logical) / Double(deduplicated) : 0
        let compressionRatio = data.stored > 0 ? Double(data.raw) / Double(data.stored) : 0
        let output = global.output
        if global.json {
            output.jsonLine([
                "snapshots": .int(snapshots.count), "logical_bytes": .int(logical), "deduplicated_bytes": .int(deduplicated),
                "stored_bytes": .int(stored), "packs": .int(totals.packs), "data_blobs": .int(data.count), "tree_blobs": .int(trees.count),
                "dedup_ratio": .number(dedupRatio), "compression_ratio": .number(compressionRatio),
            ])
            return
        }
        output.line("Snapshots:          \(snapshots.count)")
        output.line("Logical size:       \(Format.bytes(logical))  (all snapshots' files added up)")
        output.line("Deduplicated size:  \(Format.bytes(deduplicated))  (\(data.count) unique chunks)")
        output.line("Stored size:        \(Format.bytes(stored))  (\(totals.packs) packs, \(trees.count) trees)")
        output.line(String(format: "Dedup ratio:        %.2fx", dedupRatio))
        output.line(String(format: "Compression ratio:  %.2fx", compressionRatio))
    }
}
