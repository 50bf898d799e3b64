import Foundation
import Glibc
import TesseraCore

/// Checks a mount point before mounting, so each way it can be unusable gets
/// its own message and next step.
public enum MountPoint {
    public static func check(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOTCONN {
                throw TesseraError.failed("\(path) is a dead mount left by a process that ended without unmounting; clear it with `fusermount3 -u \(path)` and mount again")
            }
            throw TesseraError.failed("cannot use \(path) as a mount point: \(FileSystemError.reason(code))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw TesseraError.failed("\(path) is not a folder: mount into an empty folder") }
        var parent = stat()
        if stat(path + "/..", &parent) == 0, parent.st_dev != info.st_dev, parent.st_ino != info.st_ino {
            throw TesseraError.failed("\(path) is busy: something is already mounted there (unmount it with `fusermount3 -u \(path)` or `umount \(path)`)")
        }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else {
            throw TesseraError.failed("cannot list \(path): \(FileSystemError.reason(errno))")
        }
        guard entries.isEmpty else { throw TesseraError.failed("\(path) is not empty: mount into an empty folder, so nothing there is hidden") }
    }
}
