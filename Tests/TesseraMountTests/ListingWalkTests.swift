import Testing
@testable import TesseraMount

@Suite("Listing walk")
struct ListingWalkTests {
    @Test func filesLoseTheirEntriesAfterQuietListingsAndGetThemBackOnUse() {
        let walk = ListingWalk()
        for _ in 0..<(ListingWalk.quietListings - 1) { walk.folderListed() }
        #expect(walk.filesGetEntries, "too early: a copy's path down to its first files is this long")
        walk.folderListed()
        #expect(!walk.filesGetEntries)
        walk.fileUsed()
        #expect(walk.filesGetEntries)
        // Listings with files used in between never turn entries off.
        for _ in 0..<(3 * ListingWalk.quietListings) {
            walk.folderListed()
            walk.fileUsed()
        }
        #expect(walk.filesGetEntries)
    }
}
