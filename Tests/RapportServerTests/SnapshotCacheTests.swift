import Foundation
import RapportCore
import Synchronization
import Testing

/// The cache behind the dashboard's slow views: what it keeps, for how long, and that concurrent asks share one count.
@Suite("Snapshot cache")
struct SnapshotCacheTests {
    /// A computation that counts its runs and advances the clock by `took` milliseconds, as a slow count would.
    final class Counter: Sendable {
        let runs = Mutex(0)
        let clock: ManualClock
        init(_ clock: ManualClock) { self.clock = clock }
        func run(took: Int64, value: Int) -> Int {
            runs.withLock { $0 += 1 }
            clock.set(clock.nowMillis + took)
            return value
        }
        var count: Int { runs.withLock { $0 } }
    }

    @Test func aSlowValueIsKeptUntilItsAgeRunsOutAFastOneIsNot() async throws {
        let clock = ManualClock(millis: 1_000_000)
        let cache = SnapshotCache<Int>(settings: .init(maxAgeMillis: 60_000, slowerThanMillis: 250), clock: clock.wall)
        let counter = Counter(clock)
        let first = try await cache.value(for: "a") { counter.run(took: 300, value: 1) }
        #expect(first.value == 1 && first.isKept && abs(first.asOf - 1_000_000) <= 1 && abs(first.tookMillis - 300) <= 1)
        clock.set(1_000_000 + 59_990)
        let again = try await cache.value(for: "a") { counter.run(took: 300, value: 2) }
        #expect(again.value == 1 && again.asOf == first.asOf && counter.count == 1)
        clock.set(1_000_000 + 60_002)
        // Past its age: the kept value is served while one recount runs in the background.
        let stale = try await cache.value(for: "a") { counter.run(took: 10, value: 3) }
        #expect(stale.value == 1 && stale.asOf == first.asOf)
        try await Self.settle(cache, "a")
        #expect(counter.count == 2)
        // The recount was fast (10 ms < 250 ms): not kept, so the next ask counts afresh.
        let fresh = try await cache.value(for: "a") { counter.run(took: 10, value: 4) }
        #expect(fresh.value == 4 && counter.count == 3)
        #expect(await cache.count == 0)
        // Another key is another view.
        _ = try await cache.value(for: "b") { counter.run(took: 400, value: 5) }
        #expect(try await cache.value(for: "a") { counter.run(took: 400, value: 6) }.value == 6)
        #expect(await cache.count == 2)
    }

    /// Waits until no computation of `key` is in flight.
    static func settle(_ cache: SnapshotCache<Int>, _ key: String) async throws {
        for _ in 0..<500 {
            if await !cache.isComputing(key) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the recount of \(key) did not finish")
    }

    @Test func aViewInUseIsRecountedInTheBackgroundAndNobodyWaitsForIt() async throws {
        let clock = ManualClock(millis: 0)
        let cache = SnapshotCache<Int>(settings: .init(maxAgeMillis: 60_000, slowerThanMillis: 250), clock: clock.wall)
        let counter = Counter(clock)
        _ = try await cache.value(for: "a") { counter.run(took: 300, value: 1) }
        clock.set(70_000)
        // A slow recount starts; while it runs, every ask gets the kept value at once, and no second recount starts.
        let release = Mutex(false)
        let first = try await cache.value(for: "a") {
            while !release.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
            return counter.run(took: 400, value: 2)
        }
        #expect(first.value == 1 && first.asOf == 0)
        for _ in 0..<5 {
            let meanwhile = try await cache.value(for: "a") { counter.run(took: 400, value: 99) }
            #expect(meanwhile.value == 1)
        }
        #expect(await cache.isComputing("a") && counter.count == 1)
        release.withLock { $0 = true }
        try await Self.settle(cache, "a")
        let recounted = try await cache.value(for: "a") { counter.run(took: 400, value: 99) }
        #expect(recounted.value == 2 && recounted.isKept && recounted.asOf == 70_000 && counter.count == 2)

        // A failed recount leaves the kept value in place until it is too old to serve.
        struct Failure: Error {}
        clock.set(70_400 + 60_001)
        #expect(try await cache.value(for: "a") { throw Failure() }.value == 2)
        try await Self.settle(cache, "a")
        #expect(try await cache.value(for: "a") { counter.run(took: 400, value: 99) }.value == 2, "a new recount started")
        try await Self.settle(cache, "a")
        #expect(try await cache.value(for: "a") { counter.run(took: 400, value: 98) }.value == 99)

        // Unused for over twice its age, a view is counted again while the asker waits.
        clock.set(clock.nowMillis + 200_000)
        let late = try await cache.value(for: "a") { counter.run(took: 400, value: 3) }
        #expect(late.value == 3)
    }

    @Test func keepingOffStillCountsEveryTime() async throws {
        let clock = ManualClock(millis: 0)
        let cache = SnapshotCache<Int>(settings: .init(maxAgeMillis: 0, slowerThanMillis: 0), clock: clock.wall)
        let counter = Counter(clock)
        for index in 1...3 {
            let snapshot = try await cache.value(for: "a") { counter.run(took: 1_000, value: index) }
            #expect(snapshot.value == index && !snapshot.isKept)
        }
        #expect(counter.count == 3)
    }

    @Test func concurrentAsksShareOneCountAndAFailureIsNotKept() async throws {
        let clock = ManualClock(millis: 0)
        let cache = SnapshotCache<Int>(settings: .init(maxAgeMillis: 60_000, slowerThanMillis: 0), clock: clock.wall)
        let counter = Counter(clock)
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await cache.value(for: "a") {
                        try await Task.sleep(for: .milliseconds(200))
                        return counter.run(took: 0, value: 7)
                    }.value
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(values == Array(repeating: 7, count: 20))
        #expect(counter.count == 1)

        struct Failure: Error {}
        await #expect(throws: Failure.self) { try await cache.value(for: "b") { throw Failure() } }
        #expect(try await cache.value(for: "b") { 8 }.value == 8)
    }

    @Test func theOldestKeptViewsMakeRoomBeyondCapacity() async throws {
        let clock = ManualClock(millis: 0)
        let cache = SnapshotCache<Int>(settings: .init(maxAgeMillis: 60_000, slowerThanMillis: 0, capacity: 2), clock: clock.wall)
        let counter = Counter(clock)
        for (key, value) in [("a", 1), ("b", 2), ("c", 3)] { _ = try await cache.value(for: key) { counter.run(took: 1, value: value) } }
        #expect(await cache.count == 2)
        #expect(try await cache.value(for: "c") { counter.run(took: 1, value: 30) }.value == 3)
        #expect(try await cache.value(for: "a") { counter.run(took: 1, value: 10) }.value == 10)
    }
}
