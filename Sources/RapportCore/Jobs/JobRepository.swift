/// The durable job queue. Implemented over SQL in RapportStore; part of `Repositories`, so a job enqueued inside
/// `store.write { … }` commits or rolls back with the caller's own writes.
///
/// Every state change after a claim names the worker (`owner`) and takes effect only while that worker still holds
/// the lease: a worker whose lease expired and whose job another worker re-claimed gets `false` back and changes
/// nothing.
public protocol JobRepository: Sendable {
    /// Adds `job`, or returns the job already stored under the same workspace, kind and idempotency key.
    func enqueue(_ job: Job) async throws -> Job
    func find(id: String, workspaceId: String?) async throws -> Job?
    /// Takes up to `limit` due jobs (queued with `runAt <= now`, or running with an expired lease), highest priority
    /// then earliest first, marks them running for `owner` until `now + leaseMillis` and counts an attempt. With
    /// `kinds`, only jobs of those kinds.
    func claim(owner: String, limit: Int, now: Int64, leaseMillis: Int64, kinds: [String]?) async throws -> [Job]
    /// Whether `claim` would find anything at `now` (of `kinds`, when given): a read, so an idle worker asks it before
    /// claiming and does not take a turn on SQLite's single writer when nothing is due.
    func hasDue(now: Int64, kinds: [String]?) async throws -> Bool
    /// Queued and running jobs by kind, and when the oldest due queued job became due (for the metrics).
    func backlog(now: Int64) async throws -> JobBacklog
    /// Extends the lease of a running job the caller still holds.
    func renew(id: String, owner: String, until: Int64, now: Int64) async throws -> Bool
    func complete(id: String, owner: String, now: Int64) async throws -> Bool
    func fail(id: String, owner: String, error: String, outcome: JobFailureOutcome, now: Int64) async throws -> Bool
    /// Puts a running job the caller holds back in the queue, due now, without counting the interrupted attempt.
    func release(id: String, owner: String, now: Int64) async throws -> Bool
    /// Puts a running job the caller holds back in the queue, due at `until`, without counting the attempt (a handler
    /// deferred it).
    func postpone(id: String, owner: String, until: Int64, now: Int64) async throws -> Bool
    /// Cancels a job that has not succeeded; a worker still running it can no longer complete it.
    func cancel(id: String, workspaceId: String?, now: Int64) async throws -> Job?
    /// Deletes up to `limit` jobs in `states` that finished before `before`; returns how many.
    func purgeFinished(states: [JobState], before: Int64, limit: Int) async throws -> Int
    /// Queues a dead, failed or cancelled job again, due now, with its attempts reset.
    func retry(id: String, workspaceId: String?, now: Int64) async throws -> Job?
    func counts(workspaceId: String?) async throws -> [JobCount]
    /// Newest first.
    func list(_ query: JobQuery, page: PageRequest) async throws -> Page<Job>
}

extension JobRepository {
    /// Claims due jobs of every kind.
    public func claim(owner: String, limit: Int, now: Int64, leaseMillis: Int64) async throws -> [Job] {
        try await claim(owner: owner, limit: limit, now: now, leaseMillis: leaseMillis, kinds: nil)
    }

    public func hasDue(now: Int64) async throws -> Bool { try await hasDue(now: now, kinds: nil) }
}
