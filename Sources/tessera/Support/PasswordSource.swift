import Foundation
import TesseraCore

/// Finds the password: --password-file, TESSERA_PASSWORD_FILE,
/// TESSERA_PASSWORD_COMMAND, TESSERA_PASSWORD, then a prompt on a terminal.
enum PasswordSource {
    static func password(_ options: GlobalOptions, confirm: Bool = false) throws -> String {
        let environment = options.environment
        if let file = options.passwordFile ?? environment["TESSERA_PASSWORD_FILE"] {
            return try readFile(file)
        }
        if let command = environment["TESSERA_PASSWORD_COMMAND"], !command.isEmpty {
            return try run(command)
        }
        if let password = environment["TESSERA_PASSWORD"] {
            return password
        }
        return try prompt("enter password for repository: ", confirm: confirm)
    }

    static func readFile(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TesseraError.noPassword(reason: "cannot read the password file \(path)")
        }
        return stripNewline(String(decoding: data, as: UTF8.self))
    }

    private static func run(_ command: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        do {
            try process.run()
        } catch {
            throw TesseraError.noPassword(reason: "cannot run TESSERA_PASSWORD_COMMAND: \(error.localizedDescription)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TesseraError.noPassword(reason: "TESSERA_PASSWORD_COMMAND exited with status \(process.terminationStatus)")
        }
        return stripNewline(String(decoding: data, as: UTF8.self))
    }

    /// Asks on the terminal without echo. Without a terminal, fails clearly.
    static func prompt(_ question: String, confirm: Bool) throws -> String {
        let tty = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard tty >= 0 else { throw TesseraError.noPassword(reason: "no terminal to ask on") }
        defer { close(tty) }
        let first = try ask(question, tty: tty)
        if confirm {
            guard try ask("enter password again: ", tty: tty) == first else {
                throw TesseraError.noPassword(reason: "the two passwords differ")
            }
        }
        guard !first.isEmpty else { throw TesseraError.noPassword(reason: "the password is empty") }
        return first
    }

    private static func ask(_ question: String, tty: Int32) throws -> String {
        _ = question.withCString { write(tty, $0, strlen($0)) }
        var saved = termios()
        let hasTerminal = tcgetattr(tty, &saved) == 0
        if hasTerminal {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(tty, TCSAFLUSH, &silent)
        }
        defer {
            if hasTerminal { tcsetattr(tty, TCSAFLUSH, &saved) }
            _ = write(tty, "\n", 1)
        }
        var bytes = [UInt8]()
        var byte: UInt8 = 0
        while read(tty, &byte, 1) == 1, byte != UInt8(ascii: "\n") { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func stripNewline(_ text: String) -> String {
        var result = text
        while result.hasSuffix("\n") || result.hasSuffix("\r") { result.removeLast() }
        return result
    }
}
