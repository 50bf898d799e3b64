/// A least-recently-used cache bounded by a total cost (bytes, say).
///
/// Not thread-safe: owners keep it inside a `Mutex`. Entries live in an array
/// linked into a recency list by index, so a hit or an insertion is O(1) and
/// eviction never scans.
public struct LRUCache<Key: Hashable, Value> {
    private struct Entry {
        var key: Key
        var value: Value
        var cost: Int
        var newer: Int?
        var older: Int?
    }

    public let capacity: Int
    public private(set) var totalCost = 0
    private var entries: [Entry?] = []
    private var freeSlots: [Int] = []
    private var slots: [Key: Int] = [:]
    private var newest: Int?
    private var oldest: Int?

    public init(capacity: Int) { self.capacity = capacity }

    public var count: Int { slots.count }

    /// The keys held, in no particular order.
    public var keys: Dictionary<Key, Int>.Keys { slots.keys }

    /// The value for `key`, marking it the most recently used.
    public mutating func value(for key: Key) -> Value? {
        guard let slot = slots[key] else { return nil }
        moveToFront(slot)
        return entries[slot]?.value
    }

    public func contains(_ key: Key) -> Bool { slots[key] != nil }

    /// Inserts or replaces; evicts the least recently used entries until the
    /// total cost fits, and returns their keys. A value costing more than the
    /// whole capacity is not kept.
    @discardableResult
    public mutating func insert(_ value: Value, for key: Key, cost: Int) -> [Key] {
        remove(key)
        guard cost <= capacity else { return [] }
        let entry = Entry(key: key, value: value, cost: cost, newer: nil, older: newest)
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            entries[slot] = entry
        } else {
            slot = entries.count
            entries.append(entry)
        }
        if let newest { entries[newest]?.newer = slot }
        newest = slot
        if oldest == nil { oldest = slot }
        slots[key] = slot
        totalCost += cost
        var evicted = [Key]()
        while totalCost > capacity, let victim = oldest, let key = entries[victim]?.key {
            remove(key)
            evicted.append(key)
        }
        return evicted
    }

    public mutating func remove(_ key: Key) {
        guard let slot = slots.removeValue(forKey: key), let entry = entries[slot] else { return }
        unlink(slot, entry)
        entries[slot] = nil
        freeSlots.append(slot)
        totalCost -= entry.cost
    }

    private mutating func moveToFront(_ slot: Int) {
        guard slot != newest, let entry = entries[slot] else { return }
        unlink(slot, entry)
        entries[slot]?.newer = nil
        entries[slot]?.older = newest
        if let newest { entries[newest]?.newer = slot }
        newest = slot
        if oldest == nil { oldest = slot }
    }

    private mutating func unlink(_ slot: Int, _ entry: Entry) {
        if let newer = entry.newer { entries[newer]?.older = entry.older } else { newest = entry.older }
        if let older = entry.older { entries[older]?.newer = entry.newer } else { oldest = entry.newer }
    }
}
