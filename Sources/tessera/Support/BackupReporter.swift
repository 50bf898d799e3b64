import Foundation
import TesseraBackends
import TesseraCore

/// Prints what a backup does: warnings as they happen, status lines, the summary.
struct BackupReporter: BackupObserver {
    let output: Output

    func unreadable(path: String, reason: String) {
        output.itemError(path, reason, prefix: "warning: cannot read ")
    }

    static func status(_ counters: BackupStatistics.Counters, output: Output, elapsed: TimeInterval) -> String {
        let rate = elapsed > 0 ? Double(counters.bytesDone) / elapsed : 0
        var eta: TimeInterval?
        if let total = counters.totalBytes, rate > 0, total > counters.bytesDone {
            eta = Double(total - counters.bytesDone) / rate
        }
        if output.json {
            var fields: [String: JSONValue] = [
                "message_type": .string("status"), "seconds_elapsed": .number(elapsed),
                "files_done": .int(counters.filesDone), "bytes_done": .int(counters.bytesDone),
                "bytes_added": .int(counters.bytesAdded), "errors": .int(counters.unreadable),
                "current_file": .string(counters.currentPath),
            ]
            if let total = counters.totalBytes { fields["total_bytes"] = .int(total) }
            if let total = counters.totalFiles { fields["total_files"] = .int(total) }
            if let eta { fields["seconds_remaining"] = .number(eta) }
            return JSONValue.object(fields).serialized
        }
        var line = "[\(Format.duration(elapsed))] \(counters.filesDone)"
        if let total = counters.totalFiles { line += "/\(total)" }
        line += " files, \(Format.bytes(counters.bytesDone))"
        if let total = counters.totalBytes { line += "/\(Format.bytes(total))" }
        line += String(format: ", %@/s", Format.bytes(UInt64(rate)))
        if let eta { line += ", ETA \(Format.duration(eta))" }
        if counters.unreadable > 0 { line += ", \(counters.unreadable) errors" }
        let columns = Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 100
        let room = columns - line.count - 3
        if room > 10, !counters.currentPath.isEmpty {
            let path = counters.currentPath
            line += "  " + (path.count > room ? "…" + path.suffix(room - 1) : path)
        }
        return line
    }

    func summary(_ result: BackupResult, parent: ID?, backend: BackendStack) {
        let counters = result.counters
        if output.json {
            output.jsonLine([
                "message_type": .string("summary"),
                "snapshot_id": result.snapshotID.map { .string($0.hex) } ?? .null,
                "parent": parent.map { .string($0.hex) } ?? .null,
                "dry_run": .bool(result.snapshotID == nil),
                "files_new": .int(counters.filesNew), "files_changed": .int(counters.filesChanged),
                "files_unchanged": .int(counters.filesUnchanged), "dirs": .int(counters.directories),
                "other_entries": .int(counters.otherEntries), "errors": .int(counters.unreadable),
                "total_bytes": .int(counters.bytesDone), "bytes_read": .int(counters.bytesRead),
                "bytes_added": .int(counters.bytesAdded), "bytes_stored": .int(counters.bytesStored),
                "blobs_added": .int(counters.blobsAdded), "duration_seconds": .number(result.duration),
                "backend_requests": BackendRequestSummary.json(backend),
            ])
            return
        }
        if let parent { output.detail("using parent snapshot \(parent.short)") }
        output.info("Files:       \(counters.filesNew) new, \(counters.filesChanged) changed, \(counters.filesUnchanged) unchanged")
        output.info("Dirs:        \(counters.directories)")
        output.info("Read:        \(Format.bytes(counters.bytesRead)) of \(Format.bytes(counters.bytesDone))")
        output.info("Added:       \(Format.bytes(counters.bytesAdded)) (\(Format.bytes(counters.bytesStored)) stored)")
        output.info("Duration:    \(Format.duration(result.duration))")
        if let id = result.snapshotID {
            output.info("snapshot \(id.short) saved")
        } else {
            output.info("dry run: nothing was written")
        }
    }
}

/// Counts files and bytes ahead of the backup, for the ETA on the progress line.
enum TotalsScanner {
    static func scan(paths: [[UInt8]], into statistics: BackupStatistics) async {
        var files = 0
        var bytes: UInt64 = 0
        for path in paths {
            let url = URL(fileURLWithPath: PathBytes.display(path))
            guard let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey], options: []) else { continue }
            for case let item as URL in walker {
                guard let values = try? item.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey]), values.isRegularFile == true else { continue }
                files += 1
                bytes += UInt64(values.fileSize ?? 0)
                if Task.isCancelled { return }
            }
        }
        statistics.update {
            $0.totalFiles = files
            $0.totalBytes = bytes
        }
    }
}
