import ArgumentParser

struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Create and list snapshots.",
        subcommands: [SnapshotCreateCommand.self, SnapshotListCommand.self]
    )
}

/// `backup`: restic's name for `snapshot create`.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backup", abstract: "Alias of `snapshot create`.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var arguments: SnapshotCreateArguments
    func run() async throws { try await SnapshotCreateRunner(global: global, arguments: arguments).run() }
}

/// `snapshots`: restic's name for `snapshot list`.
struct SnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "snapshots", abstract: "Alias of `snapshot list`.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var arguments: SnapshotListArguments
    func run() async throws { try await SnapshotListCommand.list(global: global, arguments: arguments) }
}
