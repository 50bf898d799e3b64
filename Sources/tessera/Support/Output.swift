import Foundation
import TesseraCore

/// Where a command's words go: results on stdout, messages and warnings on
/// stderr, JSON lines when asked, progress only on a terminal.
struct Output: Sendable {
    let json: Bool
    let quiet: Bool
    let verbose: Bool

    var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    /// Progress lines are drawn only for a person watching a terminal.
    var showsProgress: Bool { !json && !quiet && isTerminal }

    func line(_ text: String) {
        Console.out(text + "\n")
    }

    func info(_ text: String) {
        guard !quiet, !json else { return }
        line(text)
    }

    func detail(_ text: String) {
        guard verbose, !json else { return }
        line(text)
    }

    func warning(_ text: String) {
        Console.err("warning: " + text + "\n")
    }

    /// A problem with one item (a file that cannot be read or restored): a line
    /// on stderr, as JSON with --json.
    func itemError(_ path: String, _ reason: String, prefix: String) {
        let line = json
            ? JSONValue.object(["message_type": .string("error"), "item": .string(path), "error": .string(reason)]).serialized
            : "\(prefix)\(path): \(reason)"
        Console.err(line + "\n")
    }

    func error(_ text: String) {
        Console.err("tessera: " + text + "\n")
    }

    /// One JSON object per line.
    func jsonLine(_ object: [String: JSONValue]) {
        line(JSONValue.object(object).serialized)
    }
}

/// A small JSON value, so that commands can print exactly the fields they mean.
enum JSONValue: Sendable {
    case string(String)
    case number(Double)
    case integer(Int64)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([String: JSONValue])

    static func int(_ value: some BinaryInteger) -> JSONValue { .integer(Int64(clamping: value)) }
    static func time(_ date: Date) -> JSONValue { .string(Timestamp.format(date)) }

    var serialized: String {
        switch self {
        case .string(let text): return Self.quote(text)
        case .number(let value): return value.isFinite ? String(format: "%.6g", value) : "null"
        case .integer(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .array(let values): return "[" + values.map(\.serialized).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.keys.sorted().map { Self.quote($0) + ":" + (fields[$0] ?? .null).serialized }.joined(separator: ",") + "}"
        }
    }

    private static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

enum Format {
    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.3f %@", value, units[unit])
    }


    static func duration(_ seconds: TimeInterval) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return String(format: "%.2fs", seconds) }
        if total < 3600 { return String(format: "%d:%02d", total / 60, total % 60) }
        return String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
    }

    /// Local time as the snapshot list shows it.
    static func localTime(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        localtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    static func mode(_ node: Node) -> String {
        let typeChar: Character = switch node.type {
        case .directory: "d"
        case .symlink: "l"
        case .fifo: "p"
        case .characterDevice: "c"
        case .blockDevice: "b"
        case .socket: "s"
        case .file: "-"
        }
        var out = String(typeChar)
        let bits: [(UInt32, Character)] = [(0o400, "r"), (0o200, "w"), (0o100, "x"), (0o40, "r"), (0o20, "w"), (0o10, "x"), (0o4, "r"), (0o2, "w"), (0o1, "x")]
        for (index, (bit, char)) in bits.enumerated() {
            var shown: Character = node.mode & bit != 0 ? char : "-"
            if index == 2, node.mode & 0o4000 != 0 { shown = node.mode & bit != 0 ? "s" : "S" }
            if index == 5, node.mode & 0o2000 != 0 { shown = node.mode & bit != 0 ? "s" : "S" }
            if index == 8, node.mode & 0o1000 != 0 { shown = node.mode & bit != 0 ? "t" : "T" }
            out.append(shown)
        }
        return out
    }
}
