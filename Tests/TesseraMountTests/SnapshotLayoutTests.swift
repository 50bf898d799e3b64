import Foundation
import Testing
import TesseraCore
@testable import TesseraMount

@Suite("Snapshot layout")
struct SnapshotLayoutTests {
    private func snapshot(_ time: TimeInterval, host: String, tags: [String] = []) -> (id: ID, snapshot: Snapshot) {
        let record = Snapshot(time: Date(timeIntervalSince1970: time), host: host, username: "u", paths: [Array("/data".utf8)], tags: tags, tree: ID.random(), parent: nil, excludes: [], summary: nil)
        return (ID.random(), record)
    }

    private func names(_ listing: SnapshotLayout.Listing?) -> [String] {
        (listing?.entries ?? []).map { String(decoding: $0.name, as: UTF8.self) }
    }

    @Test func snapshotsInOneSecondGetSuffixesAndLatestPointsAtTheNewest() throws {
        let layout = SnapshotLayout(snapshots: [
            snapshot(1_700_000_000.2, host: "a"), snapshot(1_700_000_000.7, host: "b"), snapshot(1_700_000_100, host: "a"),
        ])
        let top = names(layout.listing(.snapshots))
        #expect(top.count == 4)
        let times = top.filter { $0 != "latest" }
        #expect(times[1] == times[0] + "-1")
        let latest = try #require(layout.listing(.snapshots)?.item(named: Array("latest".utf8)))
        guard case .virtualLink(let target, _) = latest else { Issue.record("latest is not a link"); return }
        #expect(String(decoding: target, as: UTF8.self) == times[2])
    }

    @Test func timeFoldersAreNamedInLocalTimeToTheSecond() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        // Before 1970, around a leap day, and an ordinary time with a fraction.
        for time in [-86_400.0 * 400 - 0.5, 951_825_599.999, 1_700_000_000.75] {
            let layout = SnapshotLayout(snapshots: [snapshot(time, host: "h")])
            let name = names(layout.listing(.snapshots)).first { $0 != "latest" }
            #expect(name == formatter.string(from: Date(timeIntervalSince1970: time.rounded(.down))))
        }
    }

    @Test func hostsTagsAndIdsHaveTheirFolders() {
        let entries = [snapshot(1, host: "alpha", tags: ["daily", "a/b"]), snapshot(2, host: "", tags: ["daily"])]
        let layout = SnapshotLayout(snapshots: entries)
        #expect(names(layout.listing(.hosts)) == ["_", "alpha"])
        #expect(names(layout.listing(.tags)) == ["a_b", "daily"])
        #expect(names(layout.listing(.tag("daily"))).count == 2)
        #expect(names(layout.listing(.host("alpha"))).count == 1)
        #expect(Set(names(layout.listing(.ids))) == Set(entries.map(\.id.short)))
        #expect(names(layout.listing(.root)) == ["hosts", "ids", "snapshots", "tags"])
        #expect(layout.listing(.host("gone")) == nil)
    }
}
