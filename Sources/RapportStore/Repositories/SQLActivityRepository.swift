import RapportCore
import SQLKit

struct SQLActivityRepository: ActivityRepository {
    let db: any SQLDatabase

    func existingMessageIds(workspaceId: String, _ messageIds: [String]) async throws -> Set<String> {
        var found: Set<String> = []
        let unique = Array(Set(messageIds))
        for start in stride(from: 0, to: unique.count, by: 500) {
            let chunk = Array(unique[start..<min(start + 500, unique.count)])
            let rows = try await db.raw("""
                SELECT message_id FROM activities WHERE workspace_id = \(bind: workspaceId) AND message_id \(isIn: chunk, postgres: db.isPostgres)
                """).all()
            for row in rows { found.insert(try row.string("message_id")) }
        }
        return found
    }

    func insert(_ activities: [Activity]) async throws {
        // Multi-row inserts of up to 100 rows (10 binds each keeps under SQLite's 32766-variable limit).
        for start in stride(from: 0, to: activities.count, by: 100) {
            let chunk = activities[start..<min(start + 100, activities.count)]
            var sql = SQLQueryString("""
                INSERT INTO activities (workspace_id, id, customer_id, kind, name, occurred_at, received_at, message_id,
                                        properties, context) VALUES
                """)
            for (offset, activity) in chunk.enumerated() {
                if offset > 0 { sql.appendInterpolation(unsafeRaw: ", ") }
                sql.appendInterpolation(unsafeRaw: "(")
                sql.appendInterpolation(binds: [
                    activity.workspaceId, activity.id, activity.customerId, activity.kind.rawValue, activity.name,
                    activity.occurredAt, activity.receivedAt, activity.messageId,
                    activity.encoded?.properties ?? activity.properties.jsonText, activity.encoded?.context ?? activity.context.jsonText,
                ])
                sql.appendInterpolation(unsafeRaw: ")")
            }
            try await db.raw(sql).run()
        }
    }

    func timeline(workspaceId: String, customerId: String, kinds: Set<ActivityKind>?, page: PageRequest) async throws -> Page<Activity> {
        var sql = SQLQueryString("""
            SELECT workspace_id, id, customer_id, kind, name, occurred_at, received_at, message_id, properties, context
            FROM activities a WHERE a.workspace_id = \(bind: workspaceId) AND a.customer_id = \(bind: customerId)
            """)
        if let kinds {
            sql.appendInterpolation(unsafeRaw: " AND a.kind IN (")
            sql.appendInterpolation(binds: kinds.map(\.rawValue).sorted())
            sql.appendInterpolation(unsafeRaw: ")")
        }
        if let after = page.after {
            // Keyset pagination on (occurred_at, id): the cursor names the last row of the previous page.
            sql.appendInterpolation(unsafeRaw: """
                 AND EXISTS (SELECT 1 FROM activities p WHERE p.workspace_id = a.workspace_id AND p.id =
                """)
            sql.appendInterpolation(bind: after)
            sql.appendInterpolation(unsafeRaw: " AND (a.occurred_at < p.occurred_at OR (a.occurred_at = p.occurred_at AND a.id < p.id)))")
        }
        sql.appendInterpolation(unsafeRaw: " ORDER BY a.occurred_at DESC, a.id DESC LIMIT \(page.limit + 1)")
        let rows = try await db.raw(sql).all().map(Self.activity)
        return Page(fetched: rows, limit: page.limit) { $0.id }
    }

    func eventCount(workspaceId: String, customerId: String, name: String, since: Int64?) async throws -> Int {
        try await db.raw("""
            SELECT COUNT(*) AS n FROM activities WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: customerId)
            AND kind = 'track' AND name = \(bind: name) AND occurred_at >= \(bind: since ?? Int64.min)
            """).first()?.int("n") ?? 0
    }

    static func activity(_ row: any SQLRow) throws -> Activity {
        Activity(id: try row.string("id"), workspaceId: try row.string("workspace_id"), customerId: try row.string("customer_id"),
                 kind: ActivityKind(rawValue: try row.string("kind")) ?? .note, name: try row.optionalString("name"),
                 occurredAt: try row.int64("occurred_at"), receivedAt: try row.int64("received_at"),
                 messageId: try row.optionalString("message_id"),
                 properties: JSONValue.parse(try row.string("properties")) ?? [:],
                 context: JSONValue.parse(try row.string("context")) ?? [:])
    }
}
