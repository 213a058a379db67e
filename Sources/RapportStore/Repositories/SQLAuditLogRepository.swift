import Foundation
import RapportCore
import SQLKit

struct SQLAuditLogRepository: AuditLogRepository {
    let db: any SQLDatabase

    func append(_ entry: AuditEntry) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let details = String(decoding: try encoder.encode(entry.details), as: UTF8.self)
        try await db.raw("""
            INSERT INTO audit_log (workspace_id, id, occurred_at, actor_type, actor_id, actor_label, action,
                                   target_type, target_id, ip, details)
            VALUES (\(bind: entry.workspaceId), \(bind: entry.id), \(bind: entry.occurredAt),
                    \(bind: entry.actor.type.rawValue), \(bind: entry.actor.id), \(bind: entry.actor.label),
                    \(bind: entry.action), \(bind: entry.targetType), \(bind: entry.targetId), \(bind: entry.ip),
                    \(bind: details))
            """).run()
    }

    func list(workspaceId: String, action: String?, page: PageRequest) async throws -> Page<AuditEntry> {
        var query = SQLQueryString("""
            SELECT workspace_id, id, occurred_at, actor_type, actor_id, actor_label, action, target_type, target_id, ip, details
            FROM audit_log WHERE workspace_id = \(bind: workspaceId)
            """)
        if let action { query.appendInterpolation(unsafeRaw: " AND action = "); query.appendInterpolation(bind: action) }
        return try await db.page(query, column: "id", page: page, id: \.id) { row -> AuditEntry in
            let rawType = try row.string("actor_type")
            let details = try JSONDecoder().decode([String: String].self, from: Data(try row.string("details").utf8))
            return AuditEntry(
                id: try row.string("id"), workspaceId: try row.string("workspace_id"),
                occurredAt: try row.int64("occurred_at"),
                actor: AuditActor(type: AuditActor.Kind(rawValue: rawType) ?? .system, id: try row.optionalString("actor_id"),
                                  label: try row.optionalString("actor_label")),
                action: try row.string("action"), targetType: try row.optionalString("target_type"),
                targetId: try row.optionalString("target_id"), ip: try row.optionalString("ip"), details: details)
        }
    }
}
