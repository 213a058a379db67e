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

    func access(tokenHash: String) async throws -> SessionAccess? {
        // One read for every signed-in request: the session, its user's membership and the workspace. The user's
        // columns keep their names (the user and member decoders read them); the session's and the workspace's are
        // prefixed.
        try await db.raw("""
            SELECT s.token_hash AS s_token_hash, s.csrf_token AS s_csrf_token, s.created_at AS s_created_at,
                   s.expires_at AS s_expires_at, \(unsafeRaw: SQLUserRepository.columns), m.workspace_id, m.role,
                   m.created_at AS joined_at, w.id AS w_id, w.name AS w_name, w.created_at AS w_created_at,
                   w.time_zone AS w_time_zone, w.brand_color AS w_brand_color
            FROM sessions s
            JOIN memberships m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id
            JOIN users u ON u.id = s.user_id
            JOIN workspaces w ON w.id = s.workspace_id
            WHERE s.token_hash = \(bind: tokenHash)
            """).first().map { row in
                let member = try SQLMembershipRepository.member(row)
                let session = Session(tokenHash: try row.string("s_token_hash"), userId: member.user.id,
                                      workspaceId: member.workspaceId, csrfToken: try row.string("s_csrf_token"),
                                      createdAt: try row.int64("s_created_at"), expiresAt: try row.int64("s_expires_at"))
                return SessionAccess(session: session, member: member,
                                     workspace: try SQLWorkspaceRepository.workspace(row, prefix: "w_"))
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
