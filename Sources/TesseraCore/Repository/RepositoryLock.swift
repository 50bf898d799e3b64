import Foundation
import Synchronization

/// A lock held on a repository: written as `locks/<id>`, refreshed while held,
/// removed on release.
///
/// Acquisition writes our lock first and then looks for conflicting ones, so
/// two processes racing for an exclusive lock cannot both win. Stale locks
/// (not refreshed for 30 minutes, or left by a dead process on this host) do
/// not block anyone; `unlock` removes them.
public final class RepositoryLock: Sendable {
    private let repository: Repository
    private let record: LockRecord
    private let current = Mutex<ID?>(nil)
    private let refresher = Mutex<Task<Void, Never>?>(nil)

    private init(repository: Repository, record: LockRecord) {
        self.repository = repository
        self.record = record
    }

    public static func acquire(_ repository: Repository, exclusive: Bool, command: String) async throws -> RepositoryLock {
        let record = LockRecord(exclusive: exclusive, time: Date(), host: SystemIdentity.hostName,
                                username: SystemIdentity.userName, pid: getpid(), command: command)
        let lock = RepositoryLock(repository: repository, record: record)
        let id = try await lock.write(record)
        lock.current.withLock { $0 = id }
        do {
            if let conflict = try await lock.conflictingLock(ownID: id) {
                throw TesseraError.repositoryLocked(description: conflict.summary)
            }
        } catch {
            await lock.release()
            throw error
        }
        lock.startRefreshing()
        return lock
    }

    private func write(_ record: LockRecord) async throws -> ID {
        let id = ID.random()
        let sealed = repository.master.sealer.seal(try JSONCoding.encoder.encode(record), purpose: .lock)
        try await repository.backend.save(ObjectHandle(kind: .lock, id: id), data: sealed)
        return id
    }

    private func conflictingLock(ownID: ID) async throws -> LockRecord? {
        let now = Date()
        for (id, other) in try await Self.locks(in: repository) where id != ownID {
            guard let other, !other.isStale(now: now, localHost: SystemIdentity.hostName) else { continue }
            if record.exclusive || other.exclusive { return other }
        }
        return nil
    }

    /// Every lock object with its record (nil when it cannot be read).
    public static func locks(in repository: Repository) async throws -> [(ID, LockRecord?)] {
        var result = [(ID, LockRecord?)]()
        for info in try await repository.backend.list(.lock) {
            guard let id = ID(hex: info.handle.name) else { continue }
            do {
                let sealed = try await repository.backend.load(info.handle)
                let record = try JSONCoding.decoder.decode(LockRecord.self, from: try repository.master.sealer.open(sealed, purpose: .lock))
                result.append((id, record))
            } catch BackendError.notFound {
                continue  // released while we listed
            } catch {
                result.append((id, nil))
            }
        }
        return result
    }

    /// Removes stale locks (or, with `all`, every lock). Returns how many were removed.
    public static func removeLocks(in repository: Repository, all: Bool) async throws -> Int {
        var removed = 0
        let now = Date()
        for (id, record) in try await locks(in: repository) {
            let stale = record.map { $0.isStale(now: now, localHost: SystemIdentity.hostName) } ?? true
            guard all || stale else { continue }
            try? await repository.backend.delete(ObjectHandle(kind: .lock, id: id))
            removed += 1
        }
        return removed
    }

    private func startRefreshing() {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(LockRecord.refreshEvery))
                guard !Task.isCancelled, let self else { return }
                await self.refresh()
            }
        }
        refresher.withLock { $0 = task }
    }

    /// Objects are immutable: a refresh writes a new lock, then deletes the old one.
    private func refresh() async {
        var fresh = record
        fresh.time = Date()
        guard let newID = try? await write(fresh) else { return }
        let old = current.withLock { id -> ID? in
            defer { id = newID }
            return id
        }
        if let old { try? await repository.backend.delete(ObjectHandle(kind: .lock, id: old)) }
    }

    public func release() async {
        refresher.withLock { $0?.cancel() }
        let id = current.withLock { id -> ID? in
            defer { id = nil }
            return id
        }
        if let id { try? await repository.backend.delete(ObjectHandle(kind: .lock, id: id)) }
    }
}
