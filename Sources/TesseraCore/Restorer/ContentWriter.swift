import Foundation
import Synchronization

/// A file a restore has created (at its final size, still without content).
struct PendingFile: Sendable {
    /// Its folder, held open until the content is written.
    var directory: DirectoryHandle
    var node: Node
    /// Where it is in the snapshot, for messages.
    var path: [UInt8]
}

/// Writes the content of a batch of restored files pack by pack, as a
/// `ContentPlan` lays out: several runs are read at once, each blob is
/// decoded once and written everywhere it goes. A blob that cannot be read
/// or decoded is taken from another pack holding it when there is one;
/// otherwise its places are reported as failures (and stay zeros) while
/// everything else is written.
final class ContentWriter: Sendable {
    private let repository: Repository
    private let files: [PendingFile]
    private let targets: OpenTargets
    private struct Failures {
        var reasons: [Int: [String]] = [:]
        /// Files that could not be written at all: no more writes are tried.
        var givenUp: Set<Int> = []
    }
    private let failures = Mutex(Failures())
    private let wrote: @Sendable (Int) -> Void

    /// `wrote` is told the length of every write, for progress.
    init(repository: Repository, files: [PendingFile], wrote: @escaping @Sendable (Int) -> Void) {
        self.repository = repository
        self.files = files
        self.targets = OpenTargets(files)
        self.wrote = wrote
    }

    /// Writes everything it can, `concurrency` runs at a time; returns what
    /// went wrong, by file index.
    func run(concurrency: Int) async throws -> [Int: [String]] {
        let plan = try ContentPlan(files: files.map(\.node.content), index: repository.index)
        for missing in plan.missing {
            fail(missing.target, length: missing.length, "\(TesseraError.blobMissing(missing.id))")
        }
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for read in plan.reads {
                if inFlight >= max(1, concurrency) {
                    await group.next()
                    inFlight -= 1
                }
                group.addTask { [self] in await perform(read) }
                inFlight += 1
            }
        }
        return failures.withLock { $0.reasons }
    }

    private func perform(_ read: ContentPlan.PackRead) async {
        var sealed: Data?
        var readError: Error?
        do {
            sealed = try await repository.loadPackRange(read.pack, read.range)
        } catch {
            readError = error
        }
        // Decoding and writing in one job on an I/O thread: one hop per run, not per blob.
        let unreadable: [(ContentPlan.BlobWrite, Error)]
        if let sealed {
            unreadable = (try? await BlockingIOPool.shared.run { [self] in
                read.blobs.compactMap { blob -> (ContentPlan.BlobWrite, Error)? in
                    do {
                        writeNow(try decode(blob, in: read, sealed: sealed), to: blob.targets)
                        return nil
                    } catch {
                        return (blob, error)
                    }
                }
            }) ?? []
        } else {
            unreadable = read.blobs.map { ($0, readError ?? TesseraError.blobMissing($0.location.blob.id)) }
        }
        for (blob, error) in unreadable {
            do {
                // After concurrent backups a blob can be in more than one pack.
                let plaintext = try await otherCopy(of: blob, besides: read.pack, error: error)
                try await BlockingIOPool.shared.run { [self] in writeNow(plaintext, to: blob.targets) }
            } catch {
                for target in blob.targets { fail(target, length: UInt64(blob.location.blob.rawLength), "\(error)") }
            }
        }
    }

    /// The blob's plaintext from the run that was read.
    private func decode(_ blob: ContentPlan.BlobWrite, in read: ContentPlan.PackRead, sealed: Data) throws -> Data {
        try repository.decodeBlob(read.sealedBytes(of: blob, in: sealed), at: blob.location)
    }

    private func otherCopy(of blob: ContentPlan.BlobWrite, besides pack: ID, error: Error) async throws -> Data {
        for other in try repository.index.locations(of: blob.location.blob.id) where other.pack != pack {
            if let plaintext = try? await repository.loadBlob(at: other) { return plaintext }
        }
        throw error
    }

    /// Writes a blob to its places (blocking: called on an I/O thread).
    private func writeNow(_ plaintext: Data, to places: [ContentPlan.Target]) {
        for place in places where !hasFailed(place.file) {
            do {
                let file = try targets.file(place.file)
                try plaintext.withUnsafeBytes { try file.write($0, at: place.offset) }
                wrote(plaintext.count)
            } catch {
                // A file that cannot be written (disk full, …) is given up; the others go on.
                failures.withLock {
                    $0.reasons[place.file, default: []].append("\(error)")
                    $0.givenUp.insert(place.file)
                }
                targets.close(place.file)
            }
        }
    }

    private func hasFailed(_ file: Int) -> Bool {
        failures.withLock { $0.givenUp.contains(file) }
    }

    private func fail(_ place: ContentPlan.Target, length: UInt64, _ reason: String) {
        failures.withLock { $0.reasons[place.file, default: []].append("bytes \(place.offset)-\(place.offset + length): \(reason)") }
    }
}
