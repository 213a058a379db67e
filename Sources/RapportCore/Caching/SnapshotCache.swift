/// Results that are slow to compute, kept for a while and shared (docs/decisions.md, "The dashboard keeps slow views
/// for a minute"): a value whose computation took at least `slowerThanMillis` is reused for `maxAgeMillis` and shown
/// with the time it was computed at; a faster one is not kept (small workspaces always see the live figures).
/// Concurrent requests for a key share one computation. At most `capacity` keys are kept, the oldest dropped first;
/// a failed computation is not kept.
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
        let id: Int
        let task: Task<Snapshot, any Error>
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

    /// The kept value of `key` when it is fresh, the computation in flight when there is one, else a new computation.
    public func value(for key: String, compute: @escaping @Sendable () async throws -> Value) async throws -> Snapshot {
        let now = clock.nowMillis
        if let entry = entries[key] {
            guard let kept = entry.kept else { return try await entry.task.value }
            if now - kept.asOf < settings.maxAgeMillis { return kept }
            entries[key] = nil
        }
        let (clock, settings) = (self.clock, self.settings)
        let task = Task<Snapshot, any Error> {
            let started = clock.nowMillis
            let value = try await compute()
            let took = clock.nowMillis - started
            return Snapshot(value: value, asOf: started, tookMillis: took,
                            isKept: settings.maxAgeMillis > 0 && took >= settings.slowerThanMillis)
        }
        nextId += 1
        let id = nextId
        entries[key] = Entry(id: id, task: task)
        do {
            let snapshot = try await task.value
            finish(key, id: id, snapshot: snapshot)
            return snapshot
        } catch {
            finish(key, id: id, snapshot: nil)
            throw error
        }
    }

    /// Keeps a slow value (dropping the oldest beyond capacity) or forgets the entry.
    private func finish(_ key: String, id: Int, snapshot: Snapshot?) {
        guard entries[key]?.id == id else { return }
        guard let snapshot, snapshot.isKept else {
            entries[key] = nil
            return
        }
        entries[key]?.kept = snapshot
        while entries.count > settings.capacity,
              let oldest = entries.filter({ $0.value.kept != nil }).min(by: { $0.value.kept!.asOf < $1.value.kept!.asOf })?.key {
            entries[oldest] = nil
        }
    }

    /// How many keys are kept or in flight (for tests).
    public var count: Int { entries.count }
}

/// How a `SnapshotCache` keeps values (`DASHBOARD_CACHE_SECONDS`, `DASHBOARD_CACHE_AFTER_MILLIS`).
public struct SnapshotCacheSettings: Sendable, Equatable {
    /// How long a kept value is reused; 0 turns keeping off (requests in flight are still shared).
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
