import Foundation
import Logging
import RapportCore
import ServiceLifecycle

/// How the `Scheduler` ticks (`SCHEDULER_TICK_MILLIS`) and which system schedules it keeps.
public struct SchedulerSettings: Sendable {
    /// How often it looks for due schedules.
    public var tickInterval: Duration = .seconds(1)
    /// Due schedules handled per tick; the rest wait for the next one.
    public var batchSize = 100
    /// System schedules (no workspace) that must exist, keyed by `key`: created at start-up if missing, and given
    /// this expression, time zone and payload if they have changed.
    public var systemSchedules: [SystemSchedule] = []

    public init() {}
}

/// A system schedule the program defines (as opposed to one a workspace adds).
public struct SystemSchedule: Sendable, Equatable {
    public var key: String
    public var kind: String
    public var cron: String
    public var timeZone: String?
    public var payload: String

    public init(key: String, kind: String, cron: String, timeZone: String? = nil, payload: String = "{}") {
        self.key = key
        self.kind = kind
        self.cron = cron
        self.timeZone = timeZone
        self.payload = payload
    }
}

/// Turns due schedules into jobs, once per firing across every process on the database.
///
/// Each tick reads the due schedules (enabled, `next_run_at <= now`): nothing is written when nothing is due. For
/// each, one transaction moves `next_run_at` from the due time to the next time after now with a compare-and-set
/// (`UPDATE … WHERE id = ? AND next_run_at = <due>`) and, only if that changed the row, enqueues the job with the
/// idempotency key `schedule:<id>:<due in epoch seconds>`. Of several schedulers that read the same due time, one
/// advances it and enqueues; the others' updates match nothing. After downtime a schedule fires once for all the
/// times it missed, then skips to its next future time. A schedule whose expression or time zone cannot be evaluated
/// is disabled with the reason in `last_error` and logged; the others go on.
public struct Scheduler: Service {
    let store: any DataStore
    let ids: IDGenerator
    let clock: WallClock
    let settings: SchedulerSettings
    let logger: Logger

    public init(store: any DataStore, ids: IDGenerator, clock: WallClock = .system, settings: SchedulerSettings,
                logger: Logger) {
        self.store = store
        self.ids = ids
        self.clock = clock
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // Tried again at each tick until it succeeds (the database may be unreachable at start-up).
            var systemSchedulesReady = false
            while !Task.isCancelled {
                if !systemSchedulesReady {
                    do {
                        try await ensureSystemSchedules()
                        systemSchedulesReady = true
                    } catch {
                        logger.error("setting up the system schedules failed: \(error)",
                                     metadata: ["component": "scheduler"])
                    }
                }
                do {
                    try await Task.sleep(for: settings.tickInterval)
                } catch {
                    return
                }
                await tick()
            }
        }
    }

    /// Creates the system schedules that are missing and updates those whose definition changed. Reads first, so a
    /// start-up with nothing to change writes nothing. Processes with different settings update the schedule at each
    /// of their start-ups: the last one started wins.
    public func ensureSystemSchedules() async throws {
        let wanted = settings.systemSchedules
        guard !wanted.isEmpty else { return }
        let stored = try await store.read { repos in
            var found: [String: Schedule] = [:]
            for schedule in try await repos.schedules.list(workspaceId: nil) { found[schedule.key] = schedule }
            return found
        }
        let now = clock.nowMillis
        for system in wanted {
            let zone = system.timeZone ?? "UTC"
            let next = try Schedule.nextRun(cron: system.cron, zone: zone, after: now)
            if let existing = stored[system.key] {
                guard existing.cron != system.cron || existing.timeZone != system.timeZone
                    || existing.payload != system.payload || existing.kind != system.kind || !existing.enabled
                else { continue }
                // Writes run in their own task: a cancelled write could leave the SQLite writer inside its transaction.
                try await Task { [store] in
                    try await store.write { repos in
                        try await repos.schedules.reschedule(id: existing.id, cron: system.cron, timeZone: system.timeZone,
                                                             payload: system.payload, nextRunAt: next, now: now)
                    }
                }.value
                logger.notice("system schedule \(system.key) set to \(system.cron)", metadata: ["component": "scheduler"])
            } else {
                let schedule = Schedule(id: ids.next(), key: system.key, kind: system.kind, cron: system.cron,
                                        timeZone: system.timeZone, payload: system.payload, nextRunAt: next, now: now)
                _ = try await Task { [store] in try await store.write { try await $0.schedules.insertIfAbsent(schedule) } }.value
            }
        }
    }

    /// One pass: fires every due schedule (up to `batchSize`); returns how many jobs this scheduler enqueued.
    @discardableResult
    public func tick() async -> Int {
        let now = clock.nowMillis
        let due: [DueSchedule]
        do {
            let limit = settings.batchSize
            due = try await store.read { try await $0.schedules.due(now: now, limit: limit) }
        } catch {
            logger.error("reading due schedules failed: \(error)", metadata: ["component": "scheduler"])
            return 0
        }
        var enqueued = 0
        for entry in due {
            if await fire(entry, now: now) { enqueued += 1 }
        }
        return enqueued
    }

    /// Advances one due schedule and enqueues its job in one transaction; false if another process fired it first
    /// (or it was disabled).
    private func fire(_ entry: DueSchedule, now: Int64) async -> Bool {
        let schedule = entry.schedule
        let metadata: Logger.Metadata = ["component": "scheduler", "schedule": "\(schedule.key)",
                                         "workspace": "\(schedule.workspaceId ?? "-")"]
        let next: Int64
        do {
            next = try Schedule.nextRun(cron: schedule.cron, zone: entry.timeZone, after: now)
        } catch {
            let reason = (error as? RapportError)?.message ?? String(describing: error)
            logger.error("schedule \(schedule.key) disabled: \(reason)", metadata: metadata)
            do {
                // In its own task: a cancelled write could leave the SQLite writer inside its transaction.
                let store = self.store
                try await Task { try await store.write { try await $0.schedules.disable(id: schedule.id, error: reason,
                                                                                         now: now) } }.value
            } catch {
                logger.error("disabling schedule \(schedule.key) failed: \(error)", metadata: metadata)
            }
            return false
        }
        let job = Job(id: ids.next(), kind: schedule.kind, payload: schedule.payload, workspaceId: schedule.workspaceId,
                      now: now, idempotencyKey: Schedule.jobKey(scheduleId: schedule.id, due: schedule.nextRunAt))
        do {
            let store = self.store
            let fired = try await Task {
                try await store.write { repos -> Bool in
                    guard try await repos.schedules.advance(id: schedule.id, from: schedule.nextRunAt, to: next, now: now)
                    else { return false }
                    _ = try await repos.jobs.enqueue(job)
                    return true
                }
            }.value
            if fired {
                logger.debug("schedule \(schedule.key) fired; next at \(Timestamp.iso8601(next))", metadata: metadata)
            }
            return fired
        } catch {
            logger.error("firing schedule \(schedule.key) failed: \(error)", metadata: metadata)
            return false
        }
    }
}
