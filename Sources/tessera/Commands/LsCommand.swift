import ArgumentParser
import Foundation
import TesseraCore

struct LsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the files of a snapshot.")
    @OptionGroup var global: GlobalOptions

    @Argument(help: "Snapshot id (8+ hex digits) or `latest`.")
    var snapshot: String

    @Argument(help: "Absolute path inside the snapshot (default: /).")
    var path: String = "/"

    @Flag(name: .shortAndLong, help: "Show mode, owner, size and time.")
    var long = false

    @Flag(name: .long, help: "List everything below the path.")
    var recursive = false

    @Option(help: "With `latest`: only snapshots of this host.")
    var host: String?

    func run() async throws {
        let repository = try await RepositoryOpener.open(global)
        let (id, snapshot) = try repository.resolveSnapshot(self.snapshot, host: host)
        let output = global.output
        if global.json {
            output.jsonLine([
                "message_type": .string("snapshot"), "id": .string(id.hex), "time": .time(snapshot.time),
                "host": .string(snapshot.host), "paths": .array(snapshot.pathStrings.map { .string($0) }),
            ])
        }
        let walker = TreeWalker(repository: repository)
        let start = BackupOptions.normalize(path, currentDirectory: "/")
        guard let found = try await walker.node(at: start, root: snapshot.tree) else {
            throw TesseraError.invalidArgument("\(path) is not in snapshot \(id.short)")
        }
        if let node = found.node, node.type != .directory {
            print(node, path: start)
            return
        }
        try await walker.walk(found.tree, path: start == [PathBytes.slash] ? [] : start, recursive: recursive) { node, path in
            print(node, path: path)
        }
    }

    private func print(_ node: Node, path: [UInt8]) {
        let output = global.output
        let display = PathBytes.display(path)
        if global.json {
            var fields: [String: JSONValue] = [
                "message_type": .string("node"), "name": .string(node.displayName), "type": .string(node.type.name),
                "path": .string(display), "uid": .int(node.uid), "gid": .int(node.gid), "user": .string(node.user),
                "group": .string(node.group), "mode": .int(node.mode), "permissions": .string(Format.mode(node)),
                "mtime": .string(FileTimeFormat.rfc3339(node.mtime)), "atime": .string(FileTimeFormat.rfc3339(node.atime)),
                "ctime": .string(FileTimeFormat.rfc3339(node.ctime)), "inode": .int(node.inode), "links": .int(node.links),
            ]
            if node.type == .file { fields["size"] = .int(node.size) }
            if node.type == .symlink { fields["link_target"] = .string(PathBytes.display(node.linkTarget)) }
            output.jsonLine(fields)
        } else if long {
            var line = "\(Format.mode(node)) \(node.user.isEmpty ? String(node.uid) : node.user) \(node.group.isEmpty ? String(node.gid) : node.group) "
            line += String(node.size).leftPadded(to: 12) + " " + FileTimeFormat.local(node.mtime) + " " + display
            if node.type == .symlink { line += " -> " + PathBytes.display(node.linkTarget) }
            output.line(line)
        } else {
            output.line(display)
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

enum FileTimeFormat {
    static func rfc3339(_ time: FileTime) -> String {
        Timestamp.format(Date(timeIntervalSince1970: Double(time.seconds))).replacingOccurrences(of: ".000000000Z", with: String(format: ".%09uZ", time.nanoseconds))
    }

    static func local(_ time: FileTime) -> String { Format.localTime(Date(timeIntervalSince1970: Double(time.seconds))) }
}
