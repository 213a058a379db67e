import Foundation
import RapportCore
import SQLKit

struct SQLWorkspaceRepository: WorkspaceRepository {
    let db: any SQLDatabase

    func insert(_ workspace: Workspace) async throws {
        try await db.raw("""
            INSERT INTO workspaces (id, name, name_key, created_at, time_zone, brand_color)
            VALUES (\(bind: workspace.id), \(bind: workspace.name), \(bind: Workspace.nameKey(workspace.name)),
                    \(bind: workspace.createdAt), \(bind: workspace.timeZone), \(bind: workspace.brandColor?.hex))
            """).run()
        try await MetricRollups.build(db, workspaceId: workspace.id, timeZone: workspace.timeZone, now: workspace.createdAt)
    }

    func find(id: String) async throws -> Workspace? {
        try await db.raw("SELECT id, name, created_at, time_zone, brand_color FROM workspaces WHERE id = \(bind: id)").first().map(Self.workspace)
    }

    func find(name: String) async throws -> Workspace? {
        try await db.raw("SELECT id, name, created_at, time_zone, brand_color FROM workspaces WHERE name_key = \(bind: Workspace.nameKey(name))")
            .first().map(Self.workspace)
    }

    func rename(id: String, to name: String) async throws {
        try await db.raw("""
            UPDATE workspaces SET name = \(bind: name), name_key = \(bind: Workspace.nameKey(name)) WHERE id = \(bind: id)
            """).run()
    }

    /// Also rebuilds the daily metric counts in the new zone's days (seconds for a million responses).
    func setTimeZone(id: String, to timeZone: String) async throws {
        try await db.raw("UPDATE workspaces SET time_zone = \(bind: timeZone) WHERE id = \(bind: id)").run()
        if try await MetricRollups.state(db, workspaceId: id)?.timeZone != timeZone {
            try await MetricRollups.build(db, workspaceId: id, timeZone: timeZone, now: Int64(Date().timeIntervalSince1970 * 1_000))
        }
    }

    func setBrandColor(id: String, to color: BrandColor?) async throws {
        try await db.raw("UPDATE workspaces SET brand_color = \(bind: color?.hex) WHERE id = \(bind: id)").run()
    }

    static func workspace(_ row: any SQLRow) throws -> Workspace { try workspace(row, prefix: "") }

    /// A workspace from its columns, each named with `prefix` in front where a join renames them.
    static func workspace(_ row: any SQLRow, prefix: String) throws -> Workspace {
        Workspace(id: try row.string(prefix + "id"), name: try row.string(prefix + "name"),
                  createdAt: try row.int64(prefix + "created_at"), timeZone: try row.string(prefix + "time_zone"),
                  brandColor: BrandColor.stored(try row.optionalString(prefix + "brand_color")))
    }
}
