import Logging
import Metrics
import RapportCore
import ServiceLifecycle
import Synchronization

/// Samples the job queue into gauges every `interval` (reads only): `rapport_jobs_queued{kind}` and
/// `rapport_jobs_running{kind}`, and `rapport_jobs_oldest_due_age_seconds`, how long the queued job that has been due
/// longest has waited (0 when none is due), beside the worker's `rapport_jobs_outcomes_total` and
/// `rapport_jobs_run_duration`. The gauges describe the whole database, so every process reports the same values;
/// read them from any one process (or take the maximum), never sum them.
public final class JobMetricsSampler: Service, Sendable {
    let store: any DataStore
    let clock: WallClock
    let interval: Duration
    let logger: Logger
    /// Kinds reported before, so a kind whose jobs are gone drops to 0 instead of keeping its last value.
    private let seenKinds = Mutex<Set<String>>([])

    public init(store: any DataStore, clock: WallClock = .system, interval: Duration = .seconds(5), logger: Logger) {
        self.store = store
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.sample()
                do { try await Task.sleep(for: self.interval) } catch { return }
            }
        }
    }

    /// Reads the backlog once and records it; returns it (nil if the read failed).
    @discardableResult
    public func sample() async -> JobBacklog? {
        let now = clock.nowMillis
        do {
            let backlog = try await store.read { try await $0.jobs.backlog(now: now) }
            let kinds = seenKinds.withLock { seen in
                seen.formUnion(backlog.queued.keys)
                seen.formUnion(backlog.running.keys)
                return seen
            }
            for kind in kinds {
                Gauge(label: "rapport_jobs_queued", dimensions: [("kind", kind)]).record(backlog.queued[kind] ?? 0)
                Gauge(label: "rapport_jobs_running", dimensions: [("kind", kind)]).record(backlog.running[kind] ?? 0)
            }
            let age = backlog.oldestDueRunAt.map { Double(max(0, now - $0)) / 1_000 } ?? 0
            Gauge(label: "rapport_jobs_oldest_due_age_seconds").record(age)
            return backlog
        } catch {
            logger.error("sampling the job queue failed: \(error)", metadata: ["component": "jobs"])
            return nil
        }
    }
}
