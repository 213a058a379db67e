import RapportCore
import SQLKit

struct SQLMembershipRepository: MembershipRepository {
    let db: any SQLDatabase

    func add(workspaceId: String, userId: String, role: Role, at: Int64) async throws {
        try await db.raw("""
            INSERT INTO memberships (workspace_id, user_id, role, created_at)
            VALUES (\(bind: workspaceId), \(bind: userId), \(bind: role.rawValue), \(bind: at))
            """).run()
    }

    func member(workspaceId: String, userId: String) async throws -> Member? {
        try await db.raw("""
            SELECT \(unsafeRaw: SQLUserRepository.columns), m.workspace_id, m.role, m.created_at AS joined_at
            FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.workspace_id = \(bind: workspaceId) AND m.user_id = \(bind: userId)
            """).first().map(Self.member)
    }

    func members(workspaceId: String, page: PageRequest) async throws -> Page<Member> {
        try await db.page("""
            SELECT \(unsafeRaw: SQLUserRepository.columns), m.workspace_id, m.role, m.created_at AS joined_at
            FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.workspace_id = \(bind: workspaceId)
            """, column: "u.id", page: page, id: \.user.id, decode: Self.member)
    }

    func memberships(userId: String) async throws -> [Membership] {
        try await db.raw("""
            SELECT w.id, w.name, w.created_at, w.time_zone, w.brand_color, m.role
            FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
            WHERE m.user_id = \(bind: userId) ORDER BY w.name, w.id
            """).all().map { row in
                Membership(workspace: try SQLWorkspaceRepository.workspace(row), role: try Self.role(row))
            }
    }

    func setRole(workspaceId: String, userId: String, role: Role) async throws {
        try await db.raw("""
            UPDATE memberships SET role = \(bind: role.rawValue)
            WHERE workspace_id = \(bind: workspaceId) AND user_id = \(bind: userId)
            """).run()
    }

    func remove(workspaceId: String, userId: String) async throws {
        try await db.raw("DELETE FROM memberships WHERE workspace_id = \(bind: workspaceId) AND user_id = \(bind: userId)").run()
        try await db.raw("DELETE FROM sessions WHERE workspace_id = \(bind: workspaceId) AND user_id = \(bind: userId)").run()
        try await db.raw("DELETE FROM team_members WHERE workspace_id = \(bind: workspaceId) AND user_id = \(bind: userId)").run()
    }

    func ownerCount(workspaceId: String) async throws -> Int {
        try await db.raw("""
            SELECT COUNT(*) AS n FROM memberships WHERE workspace_id = \(bind: workspaceId) AND role = 'owner'
            """).first()?.int("n") ?? 0
    }

    func memberCount(workspaceId: String) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM memberships WHERE workspace_id = \(bind: workspaceId)").first()?.int("n") ?? 0
    }

    static func role(_ row: any SQLRow) throws -> Role {
        let raw = try row.string("role")
        guard let role = Role(rawValue: raw) else { throw CorruptRowError(table: "memberships", column: "role", value: raw) }
        return role
    }

    static func member(_ row: any SQLRow) throws -> Member {
        Member(user: try SQLUserRepository.user(row), workspaceId: try row.string("workspace_id"), role: try role(row),
               joinedAt: try row.int64("joined_at"))
    }
}
