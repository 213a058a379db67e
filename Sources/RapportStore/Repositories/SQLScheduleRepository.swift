import RapportCore
import SQLKit

/// Schedules over SQL. A firing is claimed by a compare-and-set on `next_run_at` (`advance`), which needs no lock on
/// either database: of two processes that read the same due time, the second one's update matches no row.
struct SQLScheduleRepository: ScheduleRepository {
    let db: any SQLDatabase

    static let columns = """
        s.id, s.workspace_id, s.key, s.kind, s.cron, s.time_zone, s.payload, s.enabled, s.next_run_at, s.last_run_at, \
        s.last_error, s.created_at, s.updated_at
        """

    func insertIfAbsent(_ schedule: Schedule) async throws -> Schedule {
        try await db.raw("""
            INSERT INTO schedules (id, workspace_id, key, kind, cron, time_zone, payload, enabled, next_run_at,
                                   last_run_at, last_error, created_at, updated_at)
            VALUES (\(bind: schedule.id), \(bind: schedule.workspaceId), \(bind: schedule.key), \(bind: schedule.kind),
                    \(bind: schedule.cron), \(bind: schedule.timeZone), \(bind: schedule.payload),
                    \(bind: Int64(schedule.enabled ? 1 : 0)), \(bind: schedule.nextRunAt), \(bind: schedule.lastRunAt),
                    \(bind: schedule.lastError), \(bind: schedule.createdAt), \(bind: schedule.updatedAt))
            ON CONFLICT DO NOTHING
            """).run()
        return try await find(workspaceId: schedule.workspaceId, key: schedule.key) ?? schedule
    }

    func find(workspaceId: String?, key: String) async throws -> Schedule? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM schedules s
            WHERE COALESCE(s.workspace_id, '') = \(bind: workspaceId ?? "") AND s.key = \(bind: key)
            """).first().map(Self.schedule)
    }

    func list(workspaceId: String?) async throws -> [Schedule] {
        let sql: SQLQueryString = if let workspaceId {
            "SELECT \(unsafeRaw: Self.columns) FROM schedules s WHERE s.workspace_id = \(bind: workspaceId) ORDER BY s.key"
        } else {
            "SELECT \(unsafeRaw: Self.columns) FROM schedules s WHERE s.workspace_id IS NULL ORDER BY s.key"
        }
        return try await db.raw(sql).all().map(Self.schedule)
    }

    func due(now: Int64, limit: Int) async throws -> [DueSchedule] {
        try await db.raw(Self.dueQuery(now: now, limit: limit)).all().map { row in
            DueSchedule(schedule: try Self.schedule(row), timeZone: try row.string("zone"))
        }
    }

    /// Every process runs it every tick: one range of `schedules_due`, in its order.
    static func dueQuery(now: Int64, limit: Int) -> SQLQueryString {
        """
        SELECT \(unsafeRaw: columns), COALESCE(s.time_zone, w.time_zone, 'UTC') AS zone
        FROM schedules s LEFT JOIN workspaces w ON w.id = s.workspace_id
        WHERE s.enabled = 1 AND s.next_run_at <= \(bind: now)
        ORDER BY s.next_run_at LIMIT \(unsafeRaw: String(max(1, limit)))
        """
    }

    func advance(id: String, from due: Int64, to next: Int64, now: Int64) async throws -> Bool {
        try await db.raw("""
            UPDATE schedules SET next_run_at = \(bind: next), last_run_at = \(bind: due), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND next_run_at = \(bind: due) AND enabled = 1
            RETURNING id
            """).first() != nil
    }

    func delete(id: String) async throws {
        try await db.raw("DELETE FROM schedules WHERE id = \(bind: id)").run()
    }

    func disable(id: String, error: String, now: Int64) async throws {
        try await db.raw("""
            UPDATE schedules SET enabled = 0, last_error = \(bind: String(error.prefix(2_000))), updated_at = \(bind: now)
            WHERE id = \(bind: id)
            """).run()
    }

    func reschedule(id: String, cron: String, timeZone: String?, payload: String, nextRunAt: Int64, now: Int64)
        async throws {
        try await db.raw("""
            UPDATE schedules SET cron = \(bind: cron), time_zone = \(bind: timeZone), payload = \(bind: payload),
                next_run_at = \(bind: nextRunAt), enabled = 1, last_error = NULL, updated_at = \(bind: now)
            WHERE id = \(bind: id)
            """).run()
    }

    func setNextRun(id: String, at: Int64, now: Int64) async throws {
        try await db.raw("""
            UPDATE schedules SET next_run_at = \(bind: at), updated_at = \(bind: now) WHERE id = \(bind: id)
            """).run()
    }

    static func schedule(_ row: any SQLRow) throws -> Schedule {
        var schedule = Schedule(
            id: try row.string("id"), workspaceId: try row.optionalString("workspace_id"), key: try row.string("key"),
            kind: try row.string("kind"), cron: try row.string("cron"), timeZone: try row.optionalString("time_zone"),
            payload: try row.string("payload"), enabled: try row.int64("enabled") != 0,
            nextRunAt: try row.int64("next_run_at"), lastRunAt: try row.optionalInt64("last_run_at"),
            lastError: try row.optionalString("last_error"), now: try row.int64("created_at"))
        schedule.updatedAt = try row.int64("updated_at")
        return schedule
    }
}
