import Testing
@testable import TesseraBackends
import TesseraCore

@Suite("S3 key layout")
struct S3KeyLayoutTests {
    @Test("Keys follow the repository layout under the prefix")
    func keys() {
        let pack = ObjectHandle(kind: .data, name: "ab" + String(repeating: "0", count: 62))
        #expect(S3KeyLayout(prefix: "").key(pack) == "data/ab/\(pack.name)")
        #expect(S3KeyLayout(prefix: "hosts/one").key(.config) == "hosts/one/config")
    }

    @Test("A repository at the bucket's root lists with no '/' in the prefix (moto), and filters what else matches")
    func listing() {
        let root = S3KeyLayout(prefix: "")
        for kind in ObjectKind.allCases { #expect(!root.listPrefix(kind).contains("/")) }
        #expect(root.handle(forKey: "data/ab/ab12", kind: .data) == ObjectHandle(kind: .data, name: "ab12"))
        #expect(root.handle(forKey: "data-old/ab/ab12", kind: .data) == nil)
        #expect(root.handle(forKey: "data/ab", kind: .data) == nil)
        #expect(root.handle(forKey: "data/cd/ab12", kind: .data) == nil, "a pack outside its folder")
        #expect(root.handle(forKey: "keys/k1", kind: .key) == ObjectHandle(kind: .key, name: "k1"))
        #expect(root.handle(forKey: "keys/sub/k1", kind: .key) == nil)
        #expect(root.handle(forKey: "configuration", kind: .config) == nil)
        #expect(root.handle(forKey: "config", kind: .config) == .config)
        let prefixed = S3KeyLayout(prefix: "p")
        #expect(prefixed.listPrefix(.snapshot) == "p/snapshots")
        #expect(prefixed.handle(forKey: "p/snapshots/s1", kind: .snapshot) == ObjectHandle(kind: .snapshot, name: "s1"))
        #expect(prefixed.handle(forKey: "snapshots/s1", kind: .snapshot) == nil)
    }
}
