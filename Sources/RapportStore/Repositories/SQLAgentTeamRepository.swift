import RapportCore
import SQLKit

struct SQLAgentTeamRepository: AgentTeamRepository {
    let db: any SQLDatabase

    func insert(_ team: AgentTeam) async throws {
        try await db.raw("""
            INSERT INTO teams (workspace_id, id, name, name_key, created_at, updated_at)
            VALUES (\(bind: team.workspaceId), \(bind: team.id), \(bind: team.name), \(bind: Workspace.nameKey(team.name)),
                    \(bind: team.createdAt), \(bind: team.updatedAt))
            """).run()
        try await insertMembers(team)
    }

    func update(_ team: AgentTeam) async throws {
        try await db.raw("""
            UPDATE teams SET name = \(bind: team.name), name_key = \(bind: Workspace.nameKey(team.name)),
                updated_at = \(bind: team.updatedAt)
            WHERE workspace_id = \(bind: team.workspaceId) AND id = \(bind: team.id)
            """).run()
        try await db.raw("""
            DELETE FROM team_members WHERE workspace_id = \(bind: team.workspaceId) AND team_id = \(bind: team.id)
            """).run()
        try await insertMembers(team)
    }

    private func insertMembers(_ team: AgentTeam) async throws {
        for userId in team.memberIds {
            try await db.raw("""
                INSERT INTO team_members (workspace_id, team_id, user_id)
                VALUES (\(bind: team.workspaceId), \(bind: team.id), \(bind: userId))
                """).run()
        }
    }

    func delete(workspaceId: String, id: String) async throws {
        try await db.raw("DELETE FROM team_members WHERE workspace_id = \(bind: workspaceId) AND team_id = \(bind: id)").run()
        try await db.raw("DELETE FROM teams WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)").run()
    }

    func find(workspaceId: String, id: String) async throws -> AgentTeam? {
        try await teams(db.raw("""
            SELECT workspace_id, id, name, created_at, updated_at FROM teams
            WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).all(), workspaceId: workspaceId).first
    }

    func find(workspaceId: String, name: String) async throws -> AgentTeam? {
        try await teams(db.raw("""
            SELECT workspace_id, id, name, created_at, updated_at FROM teams
            WHERE workspace_id = \(bind: workspaceId) AND name_key = \(bind: Workspace.nameKey(name))
            """).all(), workspaceId: workspaceId).first
    }

    func list(workspaceId: String) async throws -> [AgentTeam] {
        try await teams(db.raw("""
            SELECT workspace_id, id, name, created_at, updated_at FROM teams
            WHERE workspace_id = \(bind: workspaceId) ORDER BY name_key, id
            """).all(), workspaceId: workspaceId)
    }

    func teammates(workspaceId: String, userId: String) async throws -> [String] {
        try await db.raw("""
            SELECT DISTINCT other.user_id FROM team_members mine
            JOIN team_members other ON other.workspace_id = mine.workspace_id AND other.team_id = mine.team_id
            WHERE mine.workspace_id = \(bind: workspaceId) AND mine.user_id = \(bind: userId)
            ORDER BY other.user_id
            """).all().map { try $0.string("user_id") }
    }

    /// The rows as teams with their members (one query for all members of the listed teams).
    private func teams(_ rows: [any SQLRow], workspaceId: String) async throws -> [AgentTeam] {
        guard !rows.isEmpty else { return [] }
        var members: [String: [String]] = [:]
        for row in try await db.raw("""
            SELECT team_id, user_id FROM team_members WHERE workspace_id = \(bind: workspaceId) ORDER BY team_id, user_id
            """).all() {
            members[try row.string("team_id"), default: []].append(try row.string("user_id"))
        }
        return try rows.map { row in
            let id = try row.string("id")
            return AgentTeam(id: id, workspaceId: try row.string("workspace_id"), name: try row.string("name"),
                             memberIds: members[id] ?? [], createdAt: try row.int64("created_at"),
                             updatedAt: try row.int64("updated_at"))
        }
    }
}
