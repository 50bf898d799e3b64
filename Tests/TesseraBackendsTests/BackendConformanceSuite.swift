import Foundation
import Testing
import TesseraBackends
import TesseraCore

/// The behaviour every `Backend` must show (design.md: every backend passes
/// one conformance suite). A backend's tests run each check against a fresh,
/// empty backend from their factory:
///
///     @Test(arguments: BackendConformance.Check.allCases)
///     func conforms(to check: BackendConformance.Check) async throws {
///         try await BackendConformance { try await makeEmptyBackend() }.run(check)
///     }
struct BackendConformance: Sendable {
    enum Check: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case saveThenLoad = "save then load returns the bytes, in every kind"
        case loadRange = "a byte range loads exactly those bytes; a range past the end is an error"
        case stat = "stat gives the size"
        case list = "list of each kind returns exactly what was saved, 1500 packs over all 256 folders"
        case delete = "delete removes; load, stat and delete of a missing object throw notFound"
        case saveTwice = "saving the same handle twice leaves one correct object"
        case concurrency = "16 concurrent saves and loads all return the right bytes"
        case largeObject = "a 20 MiB object round-trips"
        case retriedSave = "a save retried after a transient failure leaves one correct object"

        var testDescription: String { rawValue }
    }

    /// Makes a fresh, empty backend; each check calls it once.
    let makeBackend: @Sendable () async throws -> any Backend

    init(makeBackend: @escaping @Sendable () async throws -> any Backend) {
        self.makeBackend = makeBackend
    }

    func run(_ check: Check) async throws {
        let backend = try await makeBackend()
        switch check {
        case .saveThenLoad: try await saveThenLoadReturnsTheBytes(backend)
        case .loadRange: try await rangesLoadExactlyTheirBytes(backend)
        case .stat: try await statGivesTheSize(backend)
        case .list: try await listReturnsExactlyWhatWasSaved(backend)
        case .delete: try await deleteRemovesAndMissingObjectsAreNotFound(backend)
        case .saveTwice: try await savingTwiceLeavesOneObject(backend)
        case .concurrency: try await concurrentSavesAndLoadsSucceed(backend)
        case .largeObject: try await largeObjectRoundTrips(backend)
        case .retriedSave: try await retriedSaveLeavesOneObject(backend)
        }
    }

    // MARK: - Checks

    func saveThenLoadReturnsTheBytes(_ backend: any Backend) async throws {
        for (index, size) in [0, 1, 1000, 300_000].enumerated() {
            let handle = ObjectHandle(kind: .data, id: .random())
            let data = Data.random(count: size, seed: UInt64(index + 1))
            try await backend.save(handle, data: data)
            #expect(try await backend.load(handle) == data, "\(size) bytes")
        }
        for (index, kind) in ObjectKind.allCases.enumerated() {
            let handle = Self.someHandle(kind)
            let data = Data.random(count: 100 + index, seed: UInt64(10 + index))
            try await backend.save(handle, data: data)
            #expect(try await backend.load(handle, range: nil) == data, "\(handle)")
        }
    }

    func rangesLoadExactlyTheirBytes(_ backend: any Backend) async throws {
        let size: Int64 = 10_000
        let handle = ObjectHandle(kind: .data, id: .random())
        let data = Data.random(count: Int(size), seed: 2)
        try await backend.save(handle, data: data)
        let inside: [Range<Int64>] = [0..<100, 4000..<6000, 9900..<size, 5000..<5001, 0..<1, (size - 1)..<size, 0..<size]
        for range in inside {
            let part = try await backend.load(handle, range: range)
            #expect(part == data.subdata(in: Int(range.lowerBound)..<Int(range.upperBound)), "bytes \(range)")
        }
        // Straddling the end, starting at it, beyond it, and 1 TiB: a backend
        // must refuse a range a damaged index asks for, not allocate it.
        let outside: [Range<Int64>] = [(size - 10)..<(size + 10), size..<(size + 1), (2 * size)..<(2 * size + 10), 0..<(1 << 40)]
        for range in outside {
            await Self.expectFailure("load of bytes \(range) of a \(size)-byte object") {
                try await backend.load(handle, range: range)
            }
        }
    }

    func statGivesTheSize(_ backend: any Backend) async throws {
        for (index, size) in [0, 1, 4097, 200_000].enumerated() {
            let handle = ObjectHandle(kind: .index, id: .random())
            try await backend.save(handle, data: Data.random(count: size, seed: UInt64(20 + index)))
            #expect(try await backend.stat(handle) == ObjectInfo(handle: handle, size: Int64(size)))
        }
        try await backend.save(.config, data: Data(count: 321))
        #expect(try await backend.stat(.config) == ObjectInfo(handle: .config, size: 321))
    }

    /// 1500 packs: past the 1000 keys of one S3 listing page, and in every one
    /// of the 256 prefix folders.
    func listReturnsExactlyWhatWasSaved(_ backend: any Backend) async throws {
        for kind in ObjectKind.allCases {
            #expect(try await backend.list(kind).isEmpty, "\(kind.rawValue) before any save")
        }
        var expected: [ObjectKind: Set<ObjectInfo>] = [:]
        expected[.config] = [ObjectInfo(handle: .config, size: 17)]
        for (count, kind) in [(2, ObjectKind.key), (3, .index), (4, .snapshot), (5, .lock)] {
            expected[kind] = Set((0..<count).map { ObjectInfo(handle: ObjectHandle(kind: kind, id: .random()), size: Int64(10 + $0)) })
        }
        expected[.data] = Set((0..<1500).map { index in
            var bytes = ID.random().bytes
            bytes[0] = UInt8(index % 256)
            return ObjectInfo(handle: ObjectHandle(kind: .data, name: HexCoding.encode(bytes)), size: Int64(1 + index % 37))
        })
        let all = expected.values.flatMap { $0 }
        try await Self.concurrently(all) { info in
            try await backend.save(info.handle, data: Data(repeating: 0x5a, count: Int(info.size)))
        }
        for kind in ObjectKind.allCases {
            let listed = try await backend.list(kind)
            let listedSet = Set(listed)
            let wanted = expected[kind, default: []]
            #expect(listed.count == listedSet.count, "\(kind.rawValue): an object listed twice")
            #expect(wanted.subtracting(listedSet).isEmpty, "\(kind.rawValue): saved but not listed")
            #expect(listedSet.subtracting(wanted).isEmpty, "\(kind.rawValue): listed but not saved")
        }
        let folders = Set(try await backend.list(.data).map { $0.handle.name.prefix(2) })
        #expect(folders.count == 256)
    }

    func deleteRemovesAndMissingObjectsAreNotFound(_ backend: any Backend) async throws {
        // Never saved, in every kind (the config included).
        for kind in ObjectKind.allCases {
            let handle = Self.someHandle(kind)
            await Self.expectNotFound(handle, "load") { try await backend.load(handle) }
            await Self.expectNotFound(handle, "stat") { try await backend.stat(handle) }
            await Self.expectNotFound(handle, "delete") { try await backend.delete(handle) }
            #expect(try await !backend.exists(handle))
        }
        let kept = ObjectHandle(kind: .data, id: .random())
        let deleted = ObjectHandle(kind: .data, id: .random())
        try await backend.save(kept, data: Data("kept".utf8))
        try await backend.save(deleted, data: Data("deleted".utf8))
        try await backend.delete(deleted)
        await Self.expectNotFound(deleted, "load") { try await backend.load(deleted) }
        await Self.expectNotFound(deleted, "load of a range") { try await backend.load(deleted, range: 0..<1) }
        await Self.expectNotFound(deleted, "stat") { try await backend.stat(deleted) }
        await Self.expectNotFound(deleted, "a second delete") { try await backend.delete(deleted) }
        #expect(try await backend.list(.data).map(\.handle) == [kept])
        #expect(try await backend.load(kept) == Data("kept".utf8))
    }

    func savingTwiceLeavesOneObject(_ backend: any Backend) async throws {
        for kind in [ObjectKind.data, .index] {
            let handle = ObjectHandle(kind: kind, id: .random())
            let data = Data.random(count: 5000, seed: 3)
            try await backend.save(handle, data: data)
            try await backend.save(handle, data: data)
            #expect(try await backend.list(kind) == [ObjectInfo(handle: handle, size: 5000)])
            #expect(try await backend.load(handle) == data)
        }
    }

    func concurrentSavesAndLoadsSucceed(_ backend: any Backend) async throws {
        let objects = (0..<16).map { index in
            (ObjectHandle(kind: .data, id: .random()), Data.random(count: (64 << 10) + index * 4099, seed: UInt64(100 + index)))
        }
        // Each task saves its object and reads it back while the others do the same.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (handle, data) in objects {
                group.addTask {
                    try await backend.save(handle, data: data)
                    let loaded = try await backend.load(handle)
                    #expect(loaded == data, "\(handle)")
                }
            }
            try await group.waitForAll()
        }
        // Then all of them at once, whole and in ranges.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (handle, data) in objects {
                group.addTask {
                    let whole = try await backend.load(handle)
                    let range: Range<Int64> = 1000..<Int64(data.count - 1000)
                    let part = try await backend.load(handle, range: range)
                    #expect(whole == data, "\(handle)")
                    #expect(part == data.subdata(in: 1000..<(data.count - 1000)), "\(handle) \(range)")
                }
            }
            try await group.waitForAll()
        }
        #expect(Set(try await backend.list(.data).map(\.handle)) == Set(objects.map(\.0)))
    }

    /// Larger than a pack; a cloud backend's test sets its multipart
    /// threshold below 20 MiB so that this object goes up in parts.
    func largeObjectRoundTrips(_ backend: any Backend) async throws {
        let size = 20 << 20
        let handle = ObjectHandle(kind: .data, id: .random())
        let data = Data.random(count: size, seed: 4)
        try await backend.save(handle, data: data)
        #expect(try await backend.stat(handle).size == Int64(size))
        #expect(try await backend.load(handle) == data)
        let boundary: Int64 = 16 << 20
        let across = (boundary - 100)..<(boundary + 100)
        #expect(try await backend.load(handle, range: across) == data.subdata(in: Int(across.lowerBound)..<Int(across.upperBound)))
    }

    /// Both when the failed attempt never arrived and when it did the work but
    /// its answer was lost.
    func retriedSaveLeavesOneObject(_ backend: any Backend) async throws {
        var saved: [ObjectInfo] = []
        for (index, timing) in [FaultyBackend.Timing.beforeCall, .afterCall].enumerated() {
            let faulty = FaultyBackend(backend, operations: [.save], timing: timing)
            faulty.failNext(1)
            let clock = VirtualClock()
            let retrying = RetryingBackend(faulty, sleeper: clock)
            let handle = ObjectHandle(kind: .data, id: .random())
            let data = Data.random(count: 70_000 + index, seed: UInt64(5 + index))
            try await retrying.save(handle, data: data)
            #expect(faulty.injectedFailures == 1, "\(timing)")
            #expect(faulty.calls(.save) == 2, "\(timing)")
            #expect(clock.sleeps.count == 1, "\(timing)")
            #expect(try await backend.load(handle) == data, "\(timing)")
            saved.append(ObjectInfo(handle: handle, size: Int64(data.count)))
        }
        #expect(Set(try await backend.list(.data)) == Set(saved))
        #expect(try await backend.list(.data).count == saved.count)
    }

    // MARK: - Helpers

    static func someHandle(_ kind: ObjectKind) -> ObjectHandle {
        kind == .config ? .config : ObjectHandle(kind: kind, id: .random())
    }

    /// Expects `body` to throw `BackendError.notFound` naming `handle` (a typed check).
    static func expectNotFound<T>(
        _ handle: ObjectHandle, _ operation: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> T
    ) async {
        do {
            _ = try await body()
            Issue.record("\(operation) of missing \(handle) succeeded", sourceLocation: sourceLocation)
        } catch BackendError.notFound(let missing) {
            #expect(missing == handle, "\(operation)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(operation) of missing \(handle) threw \(error), not BackendError.notFound", sourceLocation: sourceLocation)
        }
    }

    /// Expects `body` to throw a `BackendError` other than `notFound`: the object exists, the request is wrong.
    static func expectFailure<T>(_ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> T) async {
        do {
            _ = try await body()
            Issue.record("\(what) succeeded", sourceLocation: sourceLocation)
        } catch BackendError.notFound {
            Issue.record("\(what) threw notFound, but the object exists", sourceLocation: sourceLocation)
        } catch is BackendError {
            // Expected.
        } catch {
            Issue.record("\(what) threw \(error), not a BackendError", sourceLocation: sourceLocation)
        }
    }

    /// Runs `body` on every item, at most `width` at a time.
    static func concurrently<T: Sendable>(_ items: [T], width: Int = 16, _ body: @escaping @Sendable (T) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = items.makeIterator()
            for _ in 0..<width {
                guard let item = pending.next() else { break }
                group.addTask { try await body(item) }
            }
            while try await group.next() != nil {
                if let item = pending.next() { group.addTask { try await body(item) } }
            }
        }
    }
}
