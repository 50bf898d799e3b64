import Testing

/// The in-memory test double must behave like a real backend, or the
/// decorator tests built on it prove nothing.
@Suite("MemoryBackend conformance")
struct MemoryBackendConformanceTests {
    @Test(arguments: BackendConformance.Check.allCases)
    func conforms(to check: BackendConformance.Check) async throws {
        try await BackendConformance { MemoryBackend() }.run(check)
    }
}
