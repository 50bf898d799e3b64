import Glibc

/// Linux constants that Swift's Glibc module does not import because they sit
/// behind `_GNU_SOURCE`. The values are the kernel ABI on every architecture
/// Swift supports on Linux (x86_64, aarch64, …; only alpha, sparc and parisc differ).
enum LinuxConstants {
    /// Do not update the access time when reading (fails with EPERM unless we own the file).
    static let openNoAccessTime: Int32 = 0o1_000_000
    /// `lseek` to the next data region at or after the offset.
    static let seekData: Int32 = 3
    /// `lseek` to the next hole at or after the offset.
    static let seekHole: Int32 = 4
}
