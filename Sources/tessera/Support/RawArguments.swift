/// The command line as the kernel passed it.
///
/// Swift turns arguments into Strings, repairing bytes that are not UTF-8,
/// so a path like `/data/caf\xe9` would no longer name its folder. For path
/// arguments the original bytes are looked up in `argv`.
enum RawArguments {
    /// The raw bytes of the argument that decodes to `argument`; its UTF-8 when none does.
    static func bytes(of argument: String) -> [UInt8] {
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            var bytes = [UInt8]()
            var cursor = pointer
            while cursor.pointee != 0 {
                bytes.append(UInt8(bitPattern: cursor.pointee))
                cursor += 1
            }
            if String(decoding: bytes, as: UTF8.self) == argument { return bytes }
        }
        return Array(argument.utf8)
    }
}
