import RapportCore
import SQLKit

/// The job queue over SQL. Claims differ by dialect: PostgreSQL skips rows another transaction has locked
/// (`FOR UPDATE SKIP LOCKED`), so concurrent workers take disjoint jobs without waiting; SQLite has no row locks,
/// but every claim is a write on its single writer connection (`BEGIN IMMEDIATE`), so claims run one after another
/// and the second sees the first's update.
struct SQLJobRepository: JobRepository {
    let db: any SQLDatabase

    static let columns = """
        id, workspace_id, kind, payload, run_at, priority, attempts, max_attempts, state, last_error, idempotency_key, \
        lease_owner, lease_expires_at, created_at, updated_at, finished_at
        """

    func enqueue(_ job: Job) async throws -> Job {
        try await db.raw("""
            INSERT INTO jobs (\(unsafeRaw: Self.columns))
            VALUES (\(bind: job.id), \(bind: job.workspaceId), \(bind: job.kind), \(bind: job.payload), \(bind: job.runAt),
                    \(bind: Int64(job.priority)), \(bind: Int64(job.attempts)), \(bind: Int64(job.maxAttempts)),
                    \(bind: job.state.rawValue), \(bind: job.lastError), \(bind: job.idempotencyKey),
                    \(bind: job.leaseOwner), \(bind: job.leaseExpiresAt), \(bind: job.createdAt), \(bind: job.updatedAt),
                    \(bind: job.finishedAt))
            ON CONFLICT DO NOTHING
            """).run()
        guard let key = job.idempotencyKey else { return job }
        let stored = try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM jobs
            WHERE COALESCE(workspace_id, '') = \(bind: job.workspaceId ?? "") AND kind = \(bind: job.kind)
              AND idempotency_key = \(bind: key)
            """).first().map(Self.job)
        return stored ?? job
    }

    func find(id: String, workspaceId: String?) async throws -> Job? {
        var sql: SQLQueryString = "SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE id = \(bind: id)"
        Self.scope(&sql, workspaceId)
        return try await db.raw(sql).first().map(Self.job)
    }

    func claim(owner: String, limit: Int, now: Int64, leaseMillis: Int64, kinds: [String]?) async throws -> [Job] {
        let rows = try await db.raw(Self.claimQuery(owner: owner, limit: limit, now: now, leaseMillis: leaseMillis,
                                                    kinds: kinds, postgres: db.isPostgres)).all().map(Self.job)
        // RETURNING keeps no order.
        return rows.sorted { ($0.priority, -$0.runAt, $0.id) > ($1.priority, -$1.runAt, $1.id) }
    }

    /// The top `limit` of two short lists: queued due jobs read in the claim's order from `jobs_due`, which stops
    /// after `limit` entries however many are due (one condition `OR` the other would read every due job and sort
    /// them), and running jobs whose lease expired (few: at most the slots of the workers that died). On PostgreSQL
    /// each list skips rows other claims hold (`FOR UPDATE SKIP LOCKED`); a row locked in a list but not taken stays
    /// locked only until this statement's transaction ends. `kinds` narrows both lists (`rapport import` runs only
    /// `import.run`).
    static func claimQuery(owner: String, limit: Int, now: Int64, leaseMillis: Int64, kinds: [String]? = nil,
                           postgres: Bool) -> SQLQueryString {
        let count = String(max(1, limit))
        let lock = postgres ? " FOR UPDATE SKIP LOCKED" : ""
        // SQLite: `+run_at` keeps its planner off the (state, run_at) range of `jobs_claim`, which would need the sort.
        let runAt = postgres ? "run_at" : "+run_at"
        var sql: SQLQueryString = """
            UPDATE jobs SET state = 'running', lease_owner = \(bind: owner), lease_expires_at = \(bind: now + leaseMillis),
                attempts = attempts + 1, updated_at = \(bind: now)
            WHERE id IN (
                SELECT id FROM (
                    SELECT id, priority, run_at FROM (
                        SELECT id, priority, run_at FROM jobs WHERE state = 'queued' AND \(unsafeRaw: runAt) <= \(bind: now)
            """
        only(&sql, kinds, postgres: postgres)
        sql.appendInterpolation(unsafeRaw: """

                        ORDER BY priority DESC, run_at LIMIT \(count)\(lock)) AS due
                    UNION ALL
                    SELECT id, priority, run_at FROM (
                        SELECT id, priority, run_at FROM jobs WHERE state = 'running' AND lease_expires_at
            """)
        sql.appendInterpolation(unsafeRaw: " < ")
        sql.appendInterpolation(bind: now)
        only(&sql, kinds, postgres: postgres)
        sql.appendInterpolation(unsafeRaw: """

                        ORDER BY priority DESC, run_at LIMIT \(count)\(lock)) AS expired
                ) AS candidates
                ORDER BY priority DESC, run_at LIMIT \(count))
            RETURNING \(columns)
            """)
        return sql
    }

    func hasDue(now: Int64, kinds: [String]?) async throws -> Bool {
        guard let kinds else { return try await db.raw(Self.hasDueQuery(now: now)).first() != nil }
        var queued: SQLQueryString = "SELECT 1 FROM jobs WHERE state = 'queued' AND run_at <= \(bind: now)"
        Self.only(&queued, kinds, postgres: db.isPostgres)
        var expired: SQLQueryString = "SELECT 1 FROM jobs WHERE state = 'running' AND lease_expires_at < \(bind: now)"
        Self.only(&expired, kinds, postgres: db.isPostgres)
        var sql: SQLQueryString = "SELECT 1 AS due WHERE EXISTS ("
        sql.appendInterpolation(queued)
        sql.appendInterpolation(unsafeRaw: ") OR EXISTS (")
        sql.appendInterpolation(expired)
        sql.appendInterpolation(unsafeRaw: ")")
        return try await db.raw(sql).first() != nil
    }

    /// Narrows a query on `jobs` to `kinds` (nothing when nil).
    static func only(_ sql: inout SQLQueryString, _ kinds: [String]?, postgres: Bool) {
        guard let kinds else { return }
        sql.appendInterpolation(unsafeRaw: " AND kind ")
        sql.appendInterpolation(isIn: kinds.isEmpty ? [""] : kinds, postgres: postgres)
    }

    /// Every idle worker slot runs it every poll: two probes of the claim's two conditions, each one range of an index
    /// (`jobs_claim`, `jobs_lease`).
    static func hasDueQuery(now: Int64) -> SQLQueryString {
        """
        SELECT 1 AS due WHERE EXISTS (SELECT 1 FROM jobs WHERE state = 'queued' AND run_at <= \(bind: now))
           OR EXISTS (SELECT 1 FROM jobs WHERE state = 'running' AND lease_expires_at < \(bind: now))
        """
    }

    func backlog(now: Int64) async throws -> JobBacklog {
        var backlog = JobBacklog()
        let rows = try await db.raw("""
            SELECT kind, state, COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'running') GROUP BY kind, state
            """).all()
        for row in rows {
            let (kind, count) = (try row.string("kind"), try row.int("n"))
            if try row.string("state") == "queued" { backlog.queued[kind] = count } else { backlog.running[kind] = count }
        }
        backlog.oldestDueRunAt = try await db.raw("""
            SELECT run_at FROM jobs WHERE state = 'queued' AND run_at <= \(bind: now) ORDER BY run_at LIMIT 1
            """).first().map { try $0.int64("run_at") }
        return backlog
    }

    func renew(id: String, owner: String, until: Int64, now: Int64) async throws -> Bool {
        try await held(id, owner, "lease_expires_at = \(bind: until), updated_at = \(bind: now)")
    }

    func complete(id: String, owner: String, now: Int64) async throws -> Bool {
        try await held(id, owner, """
            state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, finished_at = \(bind: now), updated_at = \(bind: now)
            """)
    }

    func fail(id: String, owner: String, error: String, outcome: JobFailureOutcome, now: Int64) async throws -> Bool {
        let message = String(error.prefix(2_000))
        let state: SQLQueryString = switch outcome {
        case .retry(let at): "state = 'queued', run_at = \(bind: at)"
        case .dead: "state = 'dead', finished_at = \(bind: now)"
        case .failed: "state = 'failed', finished_at = \(bind: now)"
        }
        return try await held(id, owner, """
            last_error = \(bind: message), lease_owner = NULL, lease_expires_at = NULL, \(state), updated_at = \(bind: now)
            """)
    }

    func release(id: String, owner: String, now: Int64) async throws -> Bool {
        try await postpone(id: id, owner: owner, until: now, now: now)
    }

    func postpone(id: String, owner: String, until: Int64, now: Int64) async throws -> Bool {
        try await held(id, owner, """
            state = 'queued', lease_owner = NULL, lease_expires_at = NULL, run_at = \(bind: until), \
            attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated_at = \(bind: now)
            """)
    }

    func cancel(id: String, workspaceId: String?, now: Int64) async throws -> Job? {
        var sql: SQLQueryString = """
            UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, finished_at = \(bind: now),
                updated_at = \(bind: now)
            WHERE id = \(bind: id) AND state IN ('queued', 'running', 'failed', 'dead')
            """
        Self.scope(&sql, workspaceId)
        sql.appendInterpolation(unsafeRaw: " RETURNING \(Self.columns)")
        return try await db.raw(sql).first().map(Self.job)
    }

    func retry(id: String, workspaceId: String?, now: Int64) async throws -> Job? {
        var sql: SQLQueryString = """
            UPDATE jobs SET state = 'queued', attempts = 0, run_at = \(bind: now), finished_at = NULL,
                updated_at = \(bind: now)
            WHERE id = \(bind: id) AND state IN ('failed', 'dead', 'cancelled')
            """
        Self.scope(&sql, workspaceId)
        sql.appendInterpolation(unsafeRaw: " RETURNING \(Self.columns)")
        return try await db.raw(sql).first().map(Self.job)
    }

    func counts(workspaceId: String?) async throws -> [JobCount] {
        var sql: SQLQueryString = "SELECT kind, state, COUNT(*) AS n FROM jobs WHERE 1 = 1"
        Self.scope(&sql, workspaceId)
        sql.appendInterpolation(unsafeRaw: " GROUP BY kind, state ORDER BY kind, state")
        return try await db.raw(sql).all().map { row in
            JobCount(kind: try row.string("kind"), state: try Self.state(row), count: try row.int("n"))
        }
    }

    func list(_ query: JobQuery, page: PageRequest) async throws -> Page<Job> {
        var sql: SQLQueryString = "SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE 1 = 1"
        Self.scope(&sql, query.workspaceId)
        if let state = query.state {
            sql.appendInterpolation(unsafeRaw: " AND state = ")
            sql.appendInterpolation(bind: state.rawValue)
        }
        if let kind = query.kind {
            sql.appendInterpolation(unsafeRaw: " AND kind = ")
            sql.appendInterpolation(bind: kind)
        }
        return try await db.page(sql, column: "id", page: page, id: \.id, decode: Self.job)
    }

    /// Runs `UPDATE jobs SET <assignments>` on a running job only while `owner` holds its lease; false when it no
    /// longer does (another worker re-claimed it after the lease expired).
    private func held(_ id: String, _ owner: String, _ assignments: SQLQueryString) async throws -> Bool {
        var sql: SQLQueryString = "UPDATE jobs SET "
        sql.appendInterpolation(assignments)
        sql.appendInterpolation(unsafeRaw: " WHERE id = ")
        sql.appendInterpolation(bind: id)
        sql.appendInterpolation(unsafeRaw: " AND state = 'running' AND lease_owner = ")
        sql.appendInterpolation(bind: owner)
        sql.appendInterpolation(unsafeRaw: " RETURNING id")
        return try await db.raw(sql).first() != nil
    }

    private static func scope(_ sql: inout SQLQueryString, _ workspaceId: String?) {
        guard let workspaceId else { return }
        sql.appendInterpolation(unsafeRaw: " AND workspace_id = ")
        sql.appendInterpolation(bind: workspaceId)
    }

    static func state(_ row: any SQLRow) throws -> JobState {
        let raw = try row.string("state")
        guard let state = JobState(rawValue: raw) else { throw CorruptRowError(table: "jobs", column: "state", value: raw) }
        return state
    }

    static func job(_ row: any SQLRow) throws -> Job {
        var job = Job(id: try row.string("id"), kind: try row.string("kind"), payload: try row.string("payload"),
                      workspaceId: try row.optionalString("workspace_id"), now: try row.int64("created_at"),
                      runAt: try row.int64("run_at"), priority: try row.int("priority"),
                      maxAttempts: try row.int("max_attempts"), idempotencyKey: try row.optionalString("idempotency_key"))
        job.attempts = try row.int("attempts")
        job.state = try state(row)
        job.lastError = try row.optionalString("last_error")
        job.leaseOwner = try row.optionalString("lease_owner")
        job.leaseExpiresAt = try row.optionalInt64("lease_expires_at")
        job.updatedAt = try row.int64("updated_at")
        job.finishedAt = try row.optionalInt64("finished_at")
        return job
    }
}
