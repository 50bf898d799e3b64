import ArgumentParser
import Foundation
import TesseraCore

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Manage the passwords that open the repository.",
        subcommands: [KeyListCommand.self, KeyAddCommand.self, KeyRemoveCommand.self, KeyPasswdCommand.self]
    )
}

struct NewPasswordOptions: ParsableArguments {
    @Option(name: .customLong("new-password-file"), help: ArgumentHelp("Read the new password from FILE.", valueName: "FILE"))
    var newPasswordFile: String?

    func newPassword() throws -> String {
        if let newPasswordFile { return try PasswordSource.readFile(newPasswordFile) }
        return try PasswordSource.prompt("enter new password: ", confirm: true)
    }
}

struct KeyListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List keys.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let repository = try await RepositoryOpener.open(global, synchronize: false)
        let keys = try await repository.keys()
        if global.json {
            global.output.line(JSONValue.array(keys.map { key in
                .object([
                    "id": .string(key.id.hex), "current": .bool(key.isCurrent),
                    "created": key.info.map { .time($0.created) } ?? .null,
                    "host": key.info.map { .string($0.host) } ?? .null, "username": key.info.map { .string($0.username) } ?? .null,
                ])
            }).serialized)
            return
        }
        var rows = [[" ", "ID", "User", "Host", "Created"]]
        for key in keys {
            rows.append([key.isCurrent ? "*" : " ", key.id.short, key.info?.username ?? "?", key.info?.host ?? "?",
                         key.info.map { Format.localTime($0.created) } ?? "(unreadable)"])
        }
        Table.print(rows, output: global.output)
    }
}

struct KeyAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a password.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var newPassword: NewPasswordOptions

    func run() async throws {
        let repository = try await RepositoryOpener.open(global, synchronize: false)
        let id = try await repository.addKey(password: try newPassword.newPassword())
        global.output.info("saved new key \(id.short)")
    }
}

struct KeyRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a password (not the one in use).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Key id (a unique prefix is enough).") var id: String

    func run() async throws {
        let repository = try await RepositoryOpener.open(global, synchronize: false)
        let key = try await repository.resolveKey(id)
        try await repository.removeKey(key)
        global.output.info("removed key \(key.short)")
    }
}

struct KeyPasswdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "passwd", abstract: "Change the password in use (re-wraps the key; nothing is re-encrypted).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var newPassword: NewPasswordOptions

    func run() async throws {
        let repository = try await RepositoryOpener.open(global, synchronize: false)
        let id = try await repository.addKey(password: try newPassword.newPassword())
        try await repository.backend.delete(ObjectHandle(kind: .key, id: repository.keyID))
        global.output.info("password changed: key \(repository.keyID.short) replaced by \(id.short)")
    }
}
