import Foundation

/// A recurring job: at each time its cron expression names (in its time zone), one job of `kind` is enqueued, once
/// across every process on the database (see `Scheduler` and docs/decisions.md, "Schedules").
public struct Schedule: Sendable, Equatable {
    public var id: String
    /// The workspace it works for; nil for a system schedule.
    public var workspaceId: String?
    /// Names the schedule, unique per workspace (system schedules share one namespace): `segments.refresh`.
    public var key: String
    /// The kind of job it enqueues.
    public var kind: String
    /// A five-field cron expression or macro (`CronExpression`).
    public var cron: String
    /// An IANA time zone; nil follows the workspace's (UTC for a system schedule).
    public var timeZone: String?
    /// The enqueued job's payload, as JSON text.
    public var payload: String
    /// A disabled schedule enqueues nothing; the scheduler disables one it cannot evaluate, with `lastError`.
    public var enabled: Bool
    /// The next time it fires (ms); it is due once this has passed.
    public var nextRunAt: Int64
    /// The time it last fired for (the due time, not when the tick ran).
    public var lastRunAt: Int64?
    public var lastError: String?
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: String, workspaceId: String? = nil, key: String, kind: String, cron: String,
                timeZone: String? = nil, payload: String = "{}", enabled: Bool = true, nextRunAt: Int64,
                lastRunAt: Int64? = nil, lastError: String? = nil, now: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.key = key
        self.kind = kind
        self.cron = cron
        self.timeZone = timeZone
        self.payload = payload
        self.enabled = enabled
        self.nextRunAt = nextRunAt
        self.lastRunAt = lastRunAt
        self.lastError = lastError
        self.createdAt = now
        self.updatedAt = now
    }

    /// The idempotency key of the job enqueued for the firing due at `due` (ms): `schedule:<id>:<epoch seconds>`,
    /// so a second enqueue of the same firing (a retried transaction) returns the first job.
    public static func jobKey(scheduleId: String, due: Int64) -> String {
        "schedule:\(scheduleId):\(due / 1_000)"
    }

    /// When `cron` next fires after `now` (ms) in the time zone named `zone`; throws a message an operator can act on
    /// when the expression or the zone cannot be evaluated.
    public static func nextRun(cron: String, zone: String, after now: Int64) throws -> Int64 {
        let expression: CronExpression
        do { expression = try CronExpression(parsing: cron) } catch {
            throw RapportError.invalid("cron", "cron \(cron): \(error)")
        }
        guard let timeZone = TimeZone(identifier: zone) else {
            throw RapportError.invalid("time_zone", "\(zone) is not an IANA time zone")
        }
        guard let next = expression.next(after: Date(millisSince1970: now), in: timeZone) else {
            throw RapportError.invalid("cron", "cron \(cron) never fires")
        }
        return next.millisSince1970
    }
}

/// A schedule that is due, with the time zone it is evaluated in (its own, else its workspace's, else UTC).
public struct DueSchedule: Sendable, Equatable {
    public var schedule: Schedule
    public var timeZone: String

    public init(schedule: Schedule, timeZone: String) {
        self.schedule = schedule
        self.timeZone = timeZone
    }
}

/// Stored schedules. Implemented over SQL in RapportStore; part of `Repositories`, so a firing's advance and its job
/// commit together.
public protocol ScheduleRepository: Sendable {
    /// Adds `schedule` unless one with the same workspace and key exists; returns the stored one.
    func insertIfAbsent(_ schedule: Schedule) async throws -> Schedule
    func find(workspaceId: String?, key: String) async throws -> Schedule?
    /// The schedules of one workspace (nil: the system schedules), by key.
    func list(workspaceId: String?) async throws -> [Schedule]
    /// Enabled schedules with `nextRunAt <= now`, earliest first: a read, so an idle tick writes nothing.
    func due(now: Int64, limit: Int) async throws -> [DueSchedule]
    /// Compare-and-set: moves the schedule from the firing at `due` to `next`, only if `nextRunAt` still equals
    /// `due`; false when another process advanced it first.
    func advance(id: String, from due: Int64, to next: Int64, now: Int64) async throws -> Bool
    /// Stops a schedule from firing, recording why.
    func disable(id: String, error: String, now: Int64) async throws
    /// Changes what and when a schedule fires, enabling it again.
    func reschedule(id: String, cron: String, timeZone: String?, payload: String, nextRunAt: Int64, now: Int64) async throws
    /// Moves `nextRunAt` of a schedule (after its time zone changed).
    func setNextRun(id: String, at: Int64, now: Int64) async throws
    /// Removes a schedule (a digest turned off); jobs it already enqueued stay.
    func delete(id: String) async throws
}
