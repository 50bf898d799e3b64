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
        let first = table.lookUp(file("a", links: 2), parent: 10, name: Array("a".utf8), position: 0)
        let second = table.lookUp(file("b", links: 2), parent: 20, name: Array("b".utf8), position: 0)
        let other = table.lookUp(file("c", inode: 8, links: 2), parent: 10, name: Array("c".utf8), position: 1)
        let single = table.lookUp(file("d"), parent: 10, name: Array("d".utf8), position: 2)
        #expect(first == second)
        #expect(Set([first, other, single]).count == 3)
        #expect(table.entry(first)?.lookups == 2)
    }

    @Test func forgottenEntriesGoAndComeBackWithTheSameNumber() {
        let table = InodeTable()
        let item = file("x")
        let number = table.lookUp(item, parent: 10, name: Array("x".utf8), position: 3)
        _ = table.lookUp(item, parent: 10, name: Array("x".utf8), position: 3)
        table.forget(number, count: 1)
        #expect(table.entry(number) != nil)
        table.forget(number, count: 1)
        #expect(table.entry(number) == nil)
        #expect(table.count == 1)  // the root stays
        #expect(table.lookUp(item, parent: 10, name: Array("x".utf8), position: 3) == number)
        #expect(number > InodeTable.rootNumber)
    }

    @Test func pathsAreBuiltFromParents() {
        let table = InodeTable()
        let folder = table.lookUp(.virtualFolder(.snapshots), parent: InodeTable.rootNumber, name: Array("snapshots".utf8), position: nil)
        let child = table.lookUp(file("name\u{1}"), parent: folder, name: [0x66, 0xFF], position: 0)
        #expect(table.path(of: child) == "/snapshots/f\\xff")
    }

    @Test func entriesOfOneFolderAreNumberedInListingOrder() {
        let table = InodeTable()
        let numbers = (0..<300).map { (index: Int) in table.lookUp(file("f\(index)"), parent: 12345, name: Array("f\(index)".utf8), position: index) }
        #expect(numbers == numbers.sorted())
        #expect(Set(numbers).count == 300)
        #expect(numbers.allSatisfy { $0 > InodeTable.rootNumber })
        // Another folder's entries get numbers of their own.
        let other = table.lookUp(file("f0"), parent: 777, name: Array("f0".utf8), position: 0)
        #expect(!numbers.contains(other))
    }
}
