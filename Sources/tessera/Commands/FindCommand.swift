import ArgumentParser
import Foundation
import TesseraCore

struct FindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find", abstract: "Find files and folders by name across snapshots.",
        discussion: "A pattern without `/` matches names at any depth (`*.pdf`, `report-202?`); with `/` it matches paths as --exclude does."
    )
    @OptionGroup var global: GlobalOptions

    @Argument(help: "Name or path patterns (any of them matches).")
    var patterns: [String]

    @Option(name: [.short, .customLong("snapshot")], help: ArgumentHelp("Only this snapshot (repeatable; id or `latest`).", valueName: "ID"))
    var snapshots: [String] = []

    @Option(help: "Only snapshots of this host.")
    var host: String?

    @Flag(name: .shortAndLong, help: "Show mode, owner, size and time.")
    var long = false

    func run() async throws {
        let repository = try await RepositoryOpener.open(global)
        var selected = try repository.snapshots().filter { host == nil || $0.snapshot.host == host }
        if !snapshots.isEmpty {
            let wanted = Set(try snapshots.map { try repository.resolveSnapshot($0, host: host).id })
            selected = selected.filter { wanted.contains($0.id) }
        }
        let finder = try SnapshotFinder(repository: repository, patterns: patterns)
        let output = global.output
        var current: ID?
        var count = 0
        try await finder.find(in: selected) { match in
            count += 1
            let path = PathBytes.display(match.path)
            if global.json {
                var fields: [String: JSONValue] = [
                    "message_type": .string("match"), "snapshot": .string(match.snapshot.hex), "path": .string(path),
                    "type": .string(match.node.type.name), "mtime": .string(FileTimeFormat.rfc3339(match.node.mtime)),
                ]
                if match.node.type == .file { fields["size"] = .int(match.node.size) }
                output.jsonLine(fields)
                return
            }
            if current != match.snapshot {
                current = match.snapshot
                let time = selected.first { $0.id == match.snapshot }.map { Format.localTime($0.snapshot.time) } ?? ""
                output.line("snapshot \(match.snapshot.short) of \(time):")
            }
            if long {
                output.line("  \(Format.mode(match.node)) \(String(match.node.size).leftPadded(to: 12)) \(FileTimeFormat.local(match.node.mtime)) \(path)")
            } else {
                output.line("  \(path)")
            }
        }
        if !global.json { output.info("\(count) match\(count == 1 ? "" : "es") in \(selected.count) snapshot\(selected.count == 1 ? "" : "s")") }
    }
}
