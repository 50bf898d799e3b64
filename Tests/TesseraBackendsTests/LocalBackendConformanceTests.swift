import Foundation
import Testing
import TesseraBackends
import TesseraCore

@Suite("LocalBackend conformance")
struct LocalBackendConformanceTests {
    @Test(arguments: BackendConformance.Check.allCases)
    func conforms(to check: BackendConformance.Check) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await BackendConformance {
            let backend = LocalBackend(path: folder.url.appendingPathComponent(ID.random().short).path)
            try backend.createLayout()
            return backend
        }.run(check)
    }

    @Test("A pack is stored in data/<its first two hex digits>/")
    func packsLiveInTheirPrefixFolder() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let backend = LocalBackend(path: folder.url.path)
        let handle = ObjectHandle(kind: .data, name: "ab" + String(repeating: "0", count: 62))
        try await backend.save(handle, data: Data("pack".utf8))
        let file = folder.url.appendingPathComponent("data/ab/\(handle.name)").path
        #expect(FileManager.default.contents(atPath: file) == Data("pack".utf8))
    }
}
