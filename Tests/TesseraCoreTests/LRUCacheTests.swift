import Testing
@testable import TesseraCore

@Suite("LRU cache")
struct LRUCacheTests {
    @Test func evictsTheLeastRecentlyUsedUntilTheCostFits() {
        var cache = LRUCache<String, Int>(capacity: 10)
        cache.insert(1, for: "a", cost: 4)
        cache.insert(2, for: "b", cost: 4)
        #expect(cache.value(for: "a") == 1)  // now "b" is the oldest
        let evicted = cache.insert(3, for: "c", cost: 4)
        #expect(evicted == ["b"])
        #expect(cache.value(for: "b") == nil)
        #expect(cache.value(for: "a") == 1 && cache.value(for: "c") == 3)
        #expect(cache.totalCost == 8 && cache.count == 2)
    }

    @Test func replacingAKeyKeepsOneEntryAndItsNewCost() {
        var cache = LRUCache<String, Int>(capacity: 10)
        cache.insert(1, for: "a", cost: 6)
        cache.insert(2, for: "a", cost: 3)
        #expect(cache.count == 1 && cache.totalCost == 3 && cache.value(for: "a") == 2)
    }

    @Test func aValueLargerThanTheCapacityIsNotKept() {
        var cache = LRUCache<String, Int>(capacity: 10)
        cache.insert(1, for: "a", cost: 5)
        let evicted = cache.insert(2, for: "big", cost: 11)
        #expect(evicted.isEmpty && !cache.contains("big") && cache.contains("a"))
    }

    @Test func manyInsertionsStayWithinTheCapacity() {
        var cache = LRUCache<Int, Int>(capacity: 1000)
        for key in 0..<10_000 {
            cache.insert(key, for: key, cost: 1 + key % 7)
            #expect(cache.totalCost <= 1000)
        }
        #expect(cache.contains(9999))
        #expect(!cache.contains(0))
    }
}
