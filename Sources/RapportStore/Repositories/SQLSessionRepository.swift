import RapportCore
import SQLKit

struct SQLSessionRepository: SessionRepository {
    let db: any SQLDatabase

    func insert(_ session: Session) async throws {
        try await db.raw("""
            INSERT INTO sessions (token_hash, user_id, workspace_id, csrf_token, created_at, expires_at)
            VALUES (\(bind: session.tokenHash), \(bind: session.userId), \(bind: session.workspaceId),
                    \(bind: session.csrfToken), \(bind: session.createdAt), \(bind: session.expiresAt))
            """).run()
    }

    func find(tokenHash: String) async throws -> Session? {
        try await db.raw("""
            SELECT token_hash, user_id, workspace_id, csrf_token, created_at, expires_at
            FROM sessions WHERE token_hash = \(bind: tokenHash)
            """).first().map { row in
                Session(tokenHash: try row.string("token_hash"), userId: try row.string("user_id"),
                        workspaceId: try row.string("workspace_id"), csrfToken: try row.string("csrf_token"),
                        createdAt: try row.int64("created_at"), expiresAt: try row.int64("expires_at"))
            }
    }

    func delete(tokenHash: String) async throws {
        try await db.raw("DELETE FROM sessions WHERE token_hash = \(bind: tokenHash)").run()
    }

    func switchWorkspace(tokenHash: String, to workspaceId: String) async throws {
        try await db.raw("UPDATE sessions SET workspace_id = \(bind: workspaceId) WHERE token_hash = \(bind: tokenHash)").run()
    }

    func deleteExpired(before: Int64) async throws {
        try await db.raw("DELETE FROM sessions WHERE expires_at <= \(bind: before)").run()
    }
}

struct SQLLoginThrottleRepository: LoginThrottleRepository {
    let db: any SQLDatabase

    func failures(key: String, since: Int64) async throws -> [Int64] {
        try await db.raw("""
            SELECT failed_at FROM login_failures WHERE throttle_key = \(bind: key) AND failed_at > \(bind: since)
            """).all().map { try $0.int64("failed_at") }
    }

    func recordFailure(key: String, at: Int64) async throws {
        try await db.raw("INSERT INTO login_failures (throttle_key, failed_at) VALUES (\(bind: key), \(bind: at))").run()
        // Old failures no longer count; drop them so the table stays small.
        try await db.raw("DELETE FROM login_failures WHERE failed_at < \(bind: at - 86_400_000)").run()
    }

    func clear(key: String) async throws {
        try await db.raw("DELETE FROM login_failures WHERE throttle_key = \(bind: key)").run()
    }
}
