import Testing
import TesseraCore
@testable import TesseraMount

@Suite("Inode table")
struct InodeTableTests {
    private func file(_ name: String, inode: UInt64 = 7, links: UInt64 = 1) -> MountedItem {
        .node(Node(name: Array(name.utf8), type: .file, device: 1, inode: inode, links: links), snapshotRoot: 99)
    }

    @Test func hardlinkedFilesShareOneNumberAndOthersDoNot() {
        let table = InodeTable()
        let first = table.lookUp(file("a", links: 2), parent: 10, name: Array("a".utf8))
        let second = table.lookUp(file("b", links: 2), parent: 20, name: Array("b".utf8))
        let other = table.lookUp(file("c", inode: 8, links: 2), parent: 10, name: Array("c".utf8))
        let single = table.lookUp(file("d"), parent: 10, name: Array("d".utf8))
        #expect(first == second)
        #expect(Set([first, other, single]).count == 3)
        #expect(table.entry(first)?.lookups == 2)
    }

    @Test func forgottenEntriesGoAndComeBackWithTheSameNumber() {
        let table = InodeTable()
        let item = file("x")
        let number = table.lookUp(item, parent: 10, name: Array("x".utf8))
        _ = table.lookUp(item, parent: 10, name: Array("x".utf8))
        table.forget(number, count: 1)
        #expect(table.entry(number) != nil)
        table.forget(number, count: 1)
        #expect(table.entry(number) == nil)
        #expect(table.count == 1)  // the root stays
        #expect(table.lookUp(item, parent: 10, name: Array("x".utf8)) == number)
        #expect(number > InodeTable.rootNumber)
    }

    @Test func pathsAreBuiltFromParents() {
        let table = InodeTable()
        let folder = table.lookUp(.virtualFolder(.snapshots), parent: InodeTable.rootNumber, name: Array("snapshots".utf8))
        let child = table.lookUp(file("name\u{1}"), parent: folder, name: [0x66, 0xFF])
        #expect(table.path(of: child) == "/snapshots/f\\xff")
    }
}
