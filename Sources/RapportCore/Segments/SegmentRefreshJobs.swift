import Foundation

/// The scheduled segment refresh, as jobs. One system schedule (`segments.refresh`, `SEGMENT_REFRESH_CRON`) enqueues
/// one `segments.refresh_all` job per firing; that job fans out one `segments.refresh` job per workspace that has
/// segments, so workspaces are refreshed in parallel across workers and a failure retries only its own workspace.
public enum SegmentRefreshJobs {
    /// The system schedule's key and the fan-out job's kind.
    public static let scheduleKey = "segments.refresh"
    public static let fanOutKind = "segments.refresh_all"
    /// The per-workspace job's kind.
    public static let workspaceKind = "segments.refresh"
    public static let defaultCron = "*/5 * * * *"

    /// The system schedule with `cron` (evaluated in UTC), firing first at its next time after `now`.
    public static func schedule(id: String, cron: String, now: Int64) throws -> Schedule {
        Schedule(id: id, key: scheduleKey, kind: fanOutKind, cron: cron,
                 nextRunAt: try Schedule.nextRun(cron: cron, zone: "UTC", after: now), now: now)
    }
}

/// `segments.refresh_all`: enqueues a `segments.refresh` job for every workspace with segments, in one transaction.
/// Idempotent: each child's idempotency key is `refresh_all:<this job's id>`, so a re-run (after a lost lease or a
/// failed commit of its completion) returns the children it already enqueued instead of adding more.
public struct SegmentRefreshFanOutHandler: JobHandler {
    let deps: CoreDependencies
    public var kind: String { SegmentRefreshJobs.fanOutKind }

    public init(_ deps: CoreDependencies) { self.deps = deps }

    public func run(_ job: Job) async throws {
        let (ids, now) = (deps.ids, deps.clock.nowMillis)
        try await deps.store.write { repos in
            for workspaceId in try await repos.segments.workspaceIds() {
                _ = try await repos.jobs.enqueue(Job(id: ids.next(), kind: SegmentRefreshJobs.workspaceKind,
                                                     workspaceId: workspaceId, now: now,
                                                     idempotencyKey: "refresh_all:\(job.id)"))
            }
        }
    }
}

/// `segments.refresh`: recomputes the membership of every segment of the job's workspace. Idempotent: a refresh
/// evaluates the rules against the data as it is and writes only the difference, so running it twice is harmless. A
/// job without a workspace fails permanently.
public struct SegmentRefreshHandler: JobHandler {
    let segments: SegmentService
    public var kind: String { SegmentRefreshJobs.workspaceKind }

    public init(segments: SegmentService) { self.segments = segments }

    public func run(_ job: Job) async throws {
        guard let workspaceId = job.workspaceId else {
            throw PermanentJobError("segments.refresh needs a workspace")
        }
        try await segments.refresh(workspaceId: workspaceId)
    }
}
