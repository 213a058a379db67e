/// The daily clean-up of what the runtime leaves behind: finished jobs and old webhook deliveries. One system
/// schedule (`housekeeping.prune`, 03:17 UTC) enqueues one `housekeeping.prune` job a day.
///
/// - Jobs that `succeeded` or were `cancelled` are deleted `jobDays` after they finished (`JOB_RETENTION_DAYS`, 7);
///   `failed` and `dead` ones, which an operator may still want to read or retry, after `failedJobDays`
///   (30, or `jobDays` when that is longer).
/// - Webhook deliveries that are no longer pending are deleted `webhookDeliveryDays` after they were queued
///   (`WEBHOOK_LOG_RETENTION_DAYS`, 30).
///
/// Emails (the outbox) and automation runs are not deleted: they are the customer's record, on the timeline and in
/// the per-customer limits, and go with the customer when they are erased.
public struct Housekeeping: Sendable {
    public static let scheduleKey = "housekeeping.prune"
    public static let jobKind = "housekeeping.prune"
    public static let cron = "17 3 * * *"
    /// Rows deleted per transaction, so that a large backlog never holds SQLite's writer for long.
    static let batch = 5_000

    public struct Retention: Sendable, Equatable {
        public var jobDays: Int
        public var webhookDeliveryDays: Int
        public var failedJobDays: Int { max(30, jobDays) }

        public init(jobDays: Int = 7, webhookDeliveryDays: Int = 30) {
            self.jobDays = jobDays
            self.webhookDeliveryDays = webhookDeliveryDays
        }
    }

    /// What one run deleted.
    public struct Outcome: Sendable, Equatable {
        public var jobs: Int
        public var webhookDeliveries: Int

        public init(jobs: Int = 0, webhookDeliveries: Int = 0) {
            self.jobs = jobs
            self.webhookDeliveries = webhookDeliveries
        }
    }

    let store: any DataStore
    let clock: WallClock
    let retention: Retention

    public init(store: any DataStore, clock: WallClock, retention: Retention) {
        self.store = store
        self.clock = clock
        self.retention = retention
    }

    /// Deletes, in batches, everything past its retention at the clock's time.
    public func prune() async throws -> Outcome {
        let now = clock.nowMillis
        let day: Int64 = 86_400_000
        var outcome = Outcome()
        let rules: [([JobState], Int64)] = [
            ([.succeeded, .cancelled], now - Int64(retention.jobDays) * day),
            ([.failed, .dead], now - Int64(retention.failedJobDays) * day),
        ]
        for (states, before) in rules {
            while true {
                let deleted = try await store.write { try await $0.jobs.purgeFinished(states: states, before: before, limit: Self.batch) }
                outcome.jobs += deleted
                if deleted < Self.batch { break }
            }
        }
        let before = now - Int64(retention.webhookDeliveryDays) * day
        while true {
            let deleted = try await store.write { try await $0.webhooks.purgeDeliveries(before: before, limit: Self.batch) }
            outcome.webhookDeliveries += deleted
            if deleted < Self.batch { break }
        }
        return outcome
    }
}

/// `housekeeping.prune`: runs `Housekeeping.prune`. Idempotent: a second run finds nothing more to delete.
public struct HousekeepingHandler: JobHandler {
    let housekeeping: Housekeeping
    public var kind: String { Housekeeping.jobKind }

    public init(_ housekeeping: Housekeeping) { self.housekeeping = housekeeping }

    public func run(_ job: Job) async throws {
        _ = try await housekeeping.prune()
    }
}
