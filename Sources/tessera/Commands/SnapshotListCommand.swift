import ArgumentParser
import Foundation
import TesseraCore

struct SnapshotListArguments: ParsableArguments {
    @Option(help: "Only snapshots of this host.")
    var host: String?

    @Option(name: .customLong("tag"), help: "Only snapshots with this tag (repeatable: any of them).")
    var tags: [String] = []

    @Option(name: .customLong("path"), help: "Only snapshots that include this path (repeatable).")
    var paths: [String] = []
}

struct SnapshotListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List snapshots.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var arguments: SnapshotListArguments
    func run() async throws { try await Self.list(global: global, arguments: arguments) }

    static func list(global: GlobalOptions, arguments: SnapshotListArguments) async throws {
        let repository = try await RepositoryOpener.open(global)
        let wantedPaths = Set(arguments.paths.map { PathBytes.display(BackupOptions.normalize($0)) })
        let snapshots = try repository.snapshots().filter { entry in
            (arguments.host == nil || entry.snapshot.host == arguments.host)
                && (arguments.tags.isEmpty || !Set(arguments.tags).isDisjoint(with: entry.snapshot.tags))
                && wantedPaths.isSubset(of: Set(entry.snapshot.pathStrings))
        }
        let output = global.output
        if global.json {
            output.line(JSONValue.array(snapshots.map { id, snapshot in
                var fields: [String: JSONValue] = [
                    "id": .string(id.hex), "short_id": .string(id.short), "time": .time(snapshot.time),
                    "host": .string(snapshot.host), "username": .string(snapshot.username),
                    "paths": .array(snapshot.pathStrings.map { .string($0) }), "tags": .array(snapshot.tags.map { .string($0) }),
                    "tree": .string(snapshot.tree.hex),
                ]
                if let parent = snapshot.parent { fields["parent"] = .string(parent.hex) }
                if let summary = snapshot.summary {
                    fields["summary"] = .object([
                        "files_new": .int(summary.filesNew), "files_changed": .int(summary.filesChanged),
                        "files_unchanged": .int(summary.filesUnchanged), "total_bytes": .int(summary.totalBytes),
                        "bytes_added": .int(summary.bytesAdded), "errors": .int(summary.unreadable),
                    ])
                }
                return .object(fields)
            }).serialized)
            return
        }
        var rows = [["ID", "Time", "Host", "Tags", "Paths", "Size"]]
        for (id, snapshot) in snapshots {
            let paths = snapshot.pathStrings
            rows.append([id.short, Format.localTime(snapshot.time), snapshot.host, snapshot.tags.joined(separator: ","),
                         paths.first ?? "", snapshot.summary.map { Format.bytes($0.totalBytes) } ?? ""])
            for extra in paths.dropFirst() { rows.append(["", "", "", "", extra, ""]) }
        }
        Table.print(rows, output: output)
        output.info("\(snapshots.count) snapshot\(snapshots.count == 1 ? "" : "s")")
    }
}

enum Table {
    static func print(_ rows: [[String]], output: Output) {
        guard let header = rows.first else { return }
        var widths = header.map(\.count)
        for row in rows { for (column, cell) in row.enumerated() where column < widths.count { widths[column] = max(widths[column], cell.count) } }
        func render(_ row: [String]) -> String {
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        output.line(render(header))
        output.line(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1)))
        for row in rows.dropFirst() { output.line(render(row)) }
    }
}
