import Foundation
import Synchronization
import TesseraCore

/// Follows `check`'s steps for the progress line: which step, how far.
final class CheckProgress: CheckObserver {
    private let state = Mutex<(step: String, done: Int, total: Int)>(("starting", 0, 0))

    func progress(step: String, done: Int, total: Int) {
        state.withLock { $0 = (step, done, total) }
    }

    func line(elapsed: TimeInterval, json: Bool) -> String {
        let (step, done, total) = state.withLock { $0 }
        if json {
            return JSONValue.object([
                "message_type": .string("status"), "step": .string(step), "done": .int(done), "total": .int(total),
                "seconds_elapsed": .number(elapsed),
            ]).serialized
        }
        var line = "[\(Format.duration(elapsed))] \(step) \(done)/\(total)"
        if done > 0, total > done {
            line += ", ETA \(Format.duration(elapsed / Double(done) * Double(total - done)))"
        }
        return line
    }
}
