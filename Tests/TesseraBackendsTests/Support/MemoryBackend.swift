import Foundation
import Synchronization
import TesseraCore

/// A backend in a dictionary: the reference the conformance suite is checked
/// against, and a fast inner backend for the decorator tests.
final class MemoryBackend: Backend {
    let location = "memory"
    private let objects = Mutex<[ObjectHandle: Data]>([:])

    func save(_ handle: ObjectHandle, data: Data) async throws {
        // A copy with indices from zero, whatever slice the caller passed.
        let stored = Data(data)
        objects.withLock { $0[handle] = stored }
    }

    func load(_ handle: ObjectHandle, range: Range<Int64>?) async throws -> Data {
        guard let data = objects.withLock({ $0[handle] }) else { throw BackendError.notFound(handle) }
        guard let range else { return data }
        guard range.lowerBound >= 0, range.upperBound <= Int64(data.count) else {
            throw BackendError.io(operation: "read", object: handle.path, reason: "bytes \(range) lie outside the object's \(data.count) bytes")
        }
        return data.subdata(in: Int(range.lowerBound)..<Int(range.upperBound))
    }

    func stat(_ handle: ObjectHandle) async throws -> ObjectInfo {
        guard let data = objects.withLock({ $0[handle] }) else { throw BackendError.notFound(handle) }
        return ObjectInfo(handle: handle, size: Int64(data.count))
    }

    func list(_ kind: ObjectKind) async throws -> [ObjectInfo] {
        objects.withLock { objects in
            objects.filter { $0.key.kind == kind }.map { ObjectInfo(handle: $0.key, size: Int64($0.value.count)) }
        }
    }

    func delete(_ handle: ObjectHandle) async throws {
        guard objects.withLock({ $0.removeValue(forKey: handle) }) != nil else { throw BackendError.notFound(handle) }
    }
}
