/// Results that are slow to compute, kept for a while and shared (docs/decisions.md, "The dashboard keeps slow views
/// for a minute"): a value whose computation took at least `slowerThanMillis` is reused for `maxAgeMillis` and shown
/// with the time it was computed at; a faster one is not kept (small workspaces always see the live figures).
/// Concurrent requests for a key share one computation. Once a kept value is older than `maxAgeMillis`, the next
/// request starts one recount in the background and every request meanwhile gets the kept value, for up to another
/// `maxAgeMillis` (stale while recounting, as HTTP's `stale-while-revalidate`): nobody waits for a recount of a view
/// that is in use. At most `capacity` keys are kept, the oldest dropped first; a failed computation is not kept.
public actor SnapshotCache<Value: Sendable> {
    public typealias Settings = SnapshotCacheSettings

    /// A value with the instant its computation started (what it shows is as of then) and how long it took.
    public struct Snapshot: Sendable {
        public let value: Value
        public let asOf: Int64
        public let tookMillis: Int64
        /// Whether this value is kept for reuse (it was slow), so the page says when it was computed.
        public let isKept: Bool
    }

    private struct Entry {
        /// The computation in flight (the first, or a recount) and its number.
        var id: Int
        var task: Task<Snapshot, any Error>?
        var kept: Snapshot?
    }

    public nonisolated let settings: Settings
    private let clock: WallClock
    private var entries: [String: Entry] = [:]
    private var nextId = 0

    public init(settings: Settings = Settings(), clock: WallClock) {
        self.settings = settings
        self.clock = clock
    }

    /// The kept value of `key` when it is fresh (or, while a recount runs, not older than twice the maximum age), the
    /// computation in flight when there is one, else a new computation.
    public func value(for key: String, compute: @escaping @Sendable () async throws -> Value) async throws -> Snapshot {
        let now = clock.nowMillis
        if let entry = entries[key] {
            if let kept = entry.kept {
                let age = now - kept.asOf
                if age < settings.maxAgeMillis { return kept }
                if age < 2 * settings.maxAgeMillis {
                    if entry.task == nil { _ = start(key, compute: compute) }
                    return kept
                }
                entries[key]?.kept = nil
            }
            if let task = entries[key]?.task { return try await task.value }
        }
        return try await start(key, compute: compute).value
    }

    /// Starts computing `key`; the computation records its own outcome, so a recount nobody waits for still lands.
    private func start(_ key: String, compute: @escaping @Sendable () async throws -> Value) -> Task<Snapshot, any Error> {
        nextId += 1
        let id = nextId
        let (clock, settings) = (self.clock, self.settings)
        let task = Task<Snapshot, any Error> {
            let started = clock.nowMillis
            do {
                let value = try await compute()
                let took = clock.nowMillis - started
                let snapshot = Snapshot(value: value, asOf: started, tookMillis: took,
                                        isKept: settings.maxAgeMillis > 0 && took >= settings.slowerThanMillis)
                await self.finish(key, id: id, snapshot: snapshot)
                return snapshot
            } catch {
                await self.finish(key, id: id, snapshot: nil)
                throw error
            }
        }
        entries[key] = Entry(id: id, task: task, kept: entries[key]?.kept)
        return task
    }

    /// Keeps a slow value (dropping the oldest beyond capacity); forgets a fast one, so the view is counted live
    /// again; after a failure keeps what was kept before (until it is too old) and forgets the rest.
    private func finish(_ key: String, id: Int, snapshot: Snapshot?) {
        guard var entry = entries[key], entry.id == id else { return }
        entry.task = nil
        if let snapshot {
            guard snapshot.isKept else {
                entries[key] = nil
                return
            }
            entry.kept = snapshot
        } else if entry.kept == nil {
            entries[key] = nil
            return
        }
        entries[key] = entry
        while entries.count > settings.capacity,
              let oldest = entries.filter({ $0.value.kept != nil && $0.value.task == nil })
                .min(by: { $0.value.kept!.asOf < $1.value.kept!.asOf })?.key {
            entries[oldest] = nil
        }
    }

    /// How many keys are kept or in flight (for tests).
    public var count: Int { entries.count }

    /// Whether a computation of `key` is in flight (for tests).
    public func isComputing(_ key: String) -> Bool { entries[key]?.task != nil }
}

/// How a `SnapshotCache` keeps values (`DASHBOARD_CACHE_SECONDS`, `DASHBOARD_CACHE_AFTER_MILLIS`).
public struct SnapshotCacheSettings: Sendable, Equatable {
    /// How long a kept value is reused before it is recounted (and served meanwhile for as long again at most); 0
    /// turns keeping off (requests in flight are still shared).
    public var maxAgeMillis: Int64
    /// Values that took less to compute are not kept.
    public var slowerThanMillis: Int64
    public var capacity: Int

    public init(maxAgeMillis: Int64 = 60_000, slowerThanMillis: Int64 = 250, capacity: Int = 200) {
        self.maxAgeMillis = maxAgeMillis
        self.slowerThanMillis = slowerThanMillis
        self.capacity = capacity
    }
}
