import Foundation

/// Writes to stdout and stderr with write(2).
///
/// Foundation's `FileHandle.write(_:)` traps when the reader has gone
/// (`tessera ls … | head` gets EPIPE, since SIGPIPE is ignored so that a
/// closed pipe cannot kill a backup half-way). Here a closed stream just
/// drops further output, and the command finishes its work and its clean-up.
enum Console {
    static func out(_ text: String) { write(text, to: STDOUT_FILENO) }
    static func err(_ text: String) { write(text, to: STDERR_FILENO) }

    private static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var written = 0
            while written < buffer.count {
                let result = Glibc.write(descriptor, base + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return  // EPIPE and other errors: the reader is gone; nothing useful to do
                }
                written += result
            }
        }
    }
}
