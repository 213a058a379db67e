/// Where a job is in its life. `queued` → `running` → `succeeded`; a failure goes back to `queued` (with a later
/// `runAt`) until the attempts run out (`dead`) or the handler calls it permanent (`failed`); an operator may
/// `cancel` a job or `retry` a dead, failed or cancelled one.
public enum JobState: String, Sendable, CaseIterable, Codable {
    case queued, running, succeeded, failed, dead, cancelled

    /// No worker will pick it up again unless an operator retries it.
    public var isFinished: Bool { self == .succeeded || self == .failed || self == .dead || self == .cancelled }
}

/// One unit of background work, stored in the `jobs` table in the same database as the data it works on, so that
/// it is enqueued in the transaction that makes it necessary.
public struct Job: Sendable, Equatable {
    public var id: String
    /// The workspace the work belongs to; nil for system jobs.
    public var workspaceId: String?
    /// Names the `JobHandler` that runs it.
    public var kind: String
    /// The handler's input, as JSON text.
    public var payload: String
    /// Not before this time (ms since 1970).
    public var runAt: Int64
    /// Higher runs first among jobs that are due.
    public var priority: Int
    /// Attempts started so far, counting the running one.
    public var attempts: Int
    public var maxAttempts: Int
    public var state: JobState
    public var lastError: String?
    /// A second enqueue with the same key (per workspace and kind) returns the first job instead of adding one.
    public var idempotencyKey: String?
    /// The worker holding the job while it runs, and until when; another worker may take it after that.
    public var leaseOwner: String?
    public var leaseExpiresAt: Int64?
    public var createdAt: Int64
    public var updatedAt: Int64
    public var finishedAt: Int64?

    public static let defaultMaxAttempts = 8

    /// A job ready to enqueue: queued, no attempts yet, due at `runAt` (now by default).
    public init(id: String, kind: String, payload: String = "{}", workspaceId: String? = nil, now: Int64,
                runAt: Int64? = nil, priority: Int = 0, maxAttempts: Int = Job.defaultMaxAttempts,
                idempotencyKey: String? = nil) {
        self.id = id
        self.workspaceId = workspaceId
        self.kind = kind
        self.payload = payload
        self.runAt = runAt ?? now
        self.priority = priority
        self.attempts = 0
        self.maxAttempts = maxAttempts
        self.state = .queued
        self.lastError = nil
        self.idempotencyKey = idempotencyKey
        self.leaseOwner = nil
        self.leaseExpiresAt = nil
        self.createdAt = now
        self.updatedAt = now
        self.finishedAt = nil
    }
}

/// What becomes of a job whose attempt threw.
public enum JobFailureOutcome: Sendable, Equatable {
    /// Queued again, due at this time (ms).
    case retry(at: Int64)
    /// Its attempts are used up.
    case dead
    /// The handler said retrying cannot help.
    case failed
}

/// How many jobs of one kind are in one state.
public struct JobCount: Sendable, Equatable {
    public var kind: String
    public var state: JobState
    public var count: Int

    public init(kind: String, state: JobState, count: Int) {
        self.kind = kind
        self.state = state
        self.count = count
    }
}

/// Filters of the job list.
public struct JobQuery: Sendable, Equatable {
    /// Only this workspace's jobs; nil for every job (operators).
    public var workspaceId: String?
    public var state: JobState?
    public var kind: String?

    public init(workspaceId: String? = nil, state: JobState? = nil, kind: String? = nil) {
        self.workspaceId = workspaceId
        self.state = state
        self.kind = kind
    }
}

/// The unfinished part of the queue, sampled for the metrics.
public struct JobBacklog: Sendable, Equatable {
    /// Queued jobs (due or not) by kind.
    public var queued: [String: Int]
    /// Running jobs by kind (including those whose lease expired).
    public var running: [String: Int]
    /// The `runAt` of the queued job that has been due longest; nil when none is due.
    public var oldestDueRunAt: Int64?

    public init(queued: [String: Int] = [:], running: [String: Int] = [:], oldestDueRunAt: Int64? = nil) {
        self.queued = queued
        self.running = running
        self.oldestDueRunAt = oldestDueRunAt
    }
}
