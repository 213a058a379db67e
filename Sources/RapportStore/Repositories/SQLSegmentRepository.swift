import RapportCore
import SQLKit

struct SQLSegmentRepository: SegmentRepository {
    let db: any SQLDatabase

    static let columns = "workspace_id, id, name, description, rule, member_count, created_at, updated_at, refreshed_at"

    func insert(_ segment: Segment) async throws {
        try await db.raw("""
            INSERT INTO segments (\(unsafeRaw: Self.columns))
            VALUES (\(bind: segment.workspaceId), \(bind: segment.id), \(bind: segment.name), \(bind: segment.description),
                    \(bind: segment.rule.json.jsonText), \(bind: segment.memberCount), \(bind: segment.createdAt),
                    \(bind: segment.updatedAt), \(bind: segment.refreshedAt))
            """).run()
    }

    func update(_ segment: Segment) async throws {
        try await db.raw("""
            UPDATE segments SET name = \(bind: segment.name), description = \(bind: segment.description),
                rule = \(bind: segment.rule.json.jsonText), member_count = \(bind: segment.memberCount),
                updated_at = \(bind: segment.updatedAt), refreshed_at = \(bind: segment.refreshedAt)
            WHERE workspace_id = \(bind: segment.workspaceId) AND id = \(bind: segment.id)
            """).run()
    }

    func delete(workspaceId: String, id: String) async throws {
        try await db.raw("DELETE FROM segment_members WHERE workspace_id = \(bind: workspaceId) AND segment_id = \(bind: id)").run()
        try await db.raw("DELETE FROM segments WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)").run()
    }

    func find(workspaceId: String, id: String) async throws -> Segment? {
        try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM segments WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)")
            .first().map(Self.segment)
    }

    func list(workspaceId: String, page: PageRequest) async throws -> Page<Segment> {
        try await db.page("SELECT \(unsafeRaw: Self.columns) FROM segments WHERE workspace_id = \(bind: workspaceId)",
                          column: "id", page: page, id: \.id, decode: Self.segment)
    }

    func all(workspaceId: String) async throws -> [Segment] {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM segments WHERE workspace_id = \(bind: workspaceId) ORDER BY id
            """).all().map(Self.segment)
    }

    func workspaceIds() async throws -> [String] {
        try await db.raw("SELECT DISTINCT workspace_id FROM segments ORDER BY workspace_id").all()
            .map { try $0.string("workspace_id") }
    }

    func memberIds(workspaceId: String, segmentId: String) async throws -> Set<String> {
        Set(try await db.raw("""
            SELECT customer_id FROM segment_members WHERE workspace_id = \(bind: workspaceId) AND segment_id = \(bind: segmentId)
            """).all().map { try $0.string("customer_id") })
    }

    func memberships(workspaceId: String, customerId: String) async throws -> [Segment] {
        try await db.raw("""
            SELECT s.workspace_id, s.id, s.name, s.description, s.rule, s.member_count, s.created_at, s.updated_at,
                s.refreshed_at FROM segment_members m
            JOIN segments s ON s.workspace_id = m.workspace_id AND s.id = m.segment_id
            WHERE m.workspace_id = \(bind: workspaceId) AND m.customer_id = \(bind: customerId)
            """).all().map(Self.segment).sorted { ($0.name, $0.id) < ($1.name, $1.id) }
    }

    func addMembers(workspaceId: String, segmentId: String, _ customerIds: [String], at: Int64) async throws -> [String] {
        var added: [String] = []
        for start in stride(from: 0, to: customerIds.count, by: 500) {
            let chunk = Array(customerIds[start..<min(start + 500, customerIds.count)])
            added += try await db.raw("""
                INSERT INTO segment_members (workspace_id, segment_id, customer_id, added_at)
                SELECT c.workspace_id, \(bind: segmentId), c.id, \(unsafeRaw: String(at)) FROM customers c
                WHERE c.workspace_id = \(bind: workspaceId) AND c.id \(isIn: chunk, postgres: db.isPostgres) AND c.merged_into IS NULL
                ON CONFLICT DO NOTHING RETURNING customer_id
                """).all().map { try $0.string("customer_id") }
        }
        return added.sorted()
    }

    func removeMembers(workspaceId: String, segmentId: String, _ customerIds: [String]) async throws {
        for start in stride(from: 0, to: customerIds.count, by: 500) {
            let chunk = Array(customerIds[start..<min(start + 500, customerIds.count)])
            try await db.raw("""
                DELETE FROM segment_members WHERE workspace_id = \(bind: workspaceId) AND segment_id = \(bind: segmentId)
                AND customer_id \(isIn: chunk, postgres: db.isPostgres)
                """).run()
        }
    }

    func facts(workspaceId: String, before: String?, limit: Int, events: Set<EventWindow>, now: Int64) async throws -> [CustomerFacts] {
        var sql = SQLQueryString("""
            SELECT id, traits, first_seen_at, last_seen_at FROM customers
            WHERE workspace_id = \(bind: workspaceId) AND merged_into IS NULL
            """)
        if let before {
            sql.appendInterpolation(unsafeRaw: " AND id < ")
            sql.appendInterpolation(bind: before)
        }
        sql.appendInterpolation(unsafeRaw: " ORDER BY id DESC LIMIT \(limit)")
        return try await withOrdersAndEvents(try await db.raw(sql).all().map(Self.baseFacts), workspaceId: workspaceId,
                                             events: events, now: now)
    }

    func facts(workspaceId: String, customerIds: [String], events: Set<EventWindow>, now: Int64) async throws -> [CustomerFacts] {
        var facts: [CustomerFacts] = []
        for start in stride(from: 0, to: customerIds.count, by: 500) {
            let chunk = Array(customerIds[start..<min(start + 500, customerIds.count)])
            let rows = try await db.raw("""
                SELECT id, traits, first_seen_at, last_seen_at FROM customers
                WHERE workspace_id = \(bind: workspaceId) AND merged_into IS NULL AND id \(isIn: chunk, postgres: db.isPostgres)
                """).all()
            facts += try await withOrdersAndEvents(try rows.map(Self.baseFacts), workspaceId: workspaceId, events: events, now: now)
        }
        return facts
    }

    static func baseFacts(_ row: any SQLRow) throws -> CustomerFacts {
        CustomerFacts(customerId: try row.string("id"), traits: JSONValue.parse(try row.string("traits"))?.objectValue ?? [:],
                      firstSeenAt: try row.int64("first_seen_at"), lastSeenAt: try row.int64("last_seen_at"))
    }

    /// Adds the order figures and the event counts asked for to profiles' facts.
    private func withOrdersAndEvents(_ profiles: [CustomerFacts], workspaceId: String, events: Set<EventWindow>, now: Int64)
        async throws -> [CustomerFacts] {
        var facts = profiles
        guard !facts.isEmpty else { return [] }
        let ids = facts.map(\.customerId)
        var index: [String: Int] = [:]
        for (i, fact) in facts.enumerated() { index[fact.customerId] = i }
        // Per currency in integer minor units, then each currency's sum in its own units (currencies are not converted).
        let orders = try await db.raw("""
            SELECT customer_id, currency, COUNT(*) AS n, CAST(COALESCE(SUM(total_minor), 0) AS BIGINT) AS revenue,
                MAX(occurred_at) AS last_at FROM orders
            WHERE workspace_id = \(bind: workspaceId) AND status = 'completed' AND customer_id \(isIn: ids, postgres: db.isPostgres)
            GROUP BY customer_id, currency
            """).all()
        for row in orders {
            guard let i = index[try row.string("customer_id")] else { continue }
            facts[i].orderCount += try row.int("n")
            facts[i].revenue += Money.units(minorUnits: try row.int64("revenue"), currency: try row.string("currency"))
            facts[i].lastOrderAt = max(facts[i].lastOrderAt ?? .min, try row.int64("last_at"))
        }
        for window in events {
            let since = window.withinDays.map { now - Int64($0) * 86_400_000 } ?? Int64.min
            let counts = try await db.raw("""
                SELECT customer_id, COUNT(*) AS n FROM activities
                WHERE workspace_id = \(bind: workspaceId) AND kind = 'track' AND name = \(bind: window.name)
                AND occurred_at >= \(bind: since) AND customer_id \(isIn: ids, postgres: db.isPostgres) GROUP BY customer_id
                """).all()
            for row in counts {
                guard let i = index[try row.string("customer_id")] else { continue }
                facts[i].eventCounts[window] = try row.int("n")
            }
        }
        return facts
    }

    func purchasers(workspaceId: String) async throws -> [(lastOrderAt: Int64, orders: Int, revenue: Double)] {
        var purchasers: [String: (lastOrderAt: Int64, orders: Int, revenue: Double)] = [:]
        for row in try await db.raw("""
            SELECT customer_id, currency, MAX(occurred_at) AS last_at, COUNT(*) AS n,
                CAST(COALESCE(SUM(total_minor), 0) AS BIGINT) AS revenue FROM orders
            WHERE workspace_id = \(bind: workspaceId) AND status = 'completed' AND customer_id IS NOT NULL
            GROUP BY customer_id, currency
            """).all() {
            var found = purchasers[try row.string("customer_id"), default: (.min, 0, 0)]
            found.lastOrderAt = max(found.lastOrderAt, try row.int64("last_at"))
            found.orders += try row.int("n")
            found.revenue += Money.units(minorUnits: try row.int64("revenue"), currency: try row.string("currency"))
            purchasers[try row.string("customer_id")] = found
        }
        return Array(purchasers.values)
    }

    func traitNames(workspaceId: String, profiles: Int) async throws -> [String] {
        // Keys are collected here rather than with json_each / jsonb_object_keys: traits are TEXT on both databases,
        // and the newest profiles bound the cost on a large workspace (the primary key's order, ids are UUIDv7).
        var names: Set<String> = []
        for row in try await db.raw("""
            SELECT traits FROM customers WHERE workspace_id = \(bind: workspaceId) AND merged_into IS NULL
            ORDER BY id DESC LIMIT \(unsafeRaw: String(max(0, profiles)))
            """).all() {
            if let keys = JSONValue.parse(try row.string("traits"))?.objectValue?.keys { names.formUnion(keys) }
        }
        return names.sorted()
    }

    func eventNames(workspaceId: String, limit: Int) async throws -> [String] {
        try await db.raw(Self.eventNamesQuery(workspaceId: workspaceId, limit: limit)).all().map { try $0.string("name") }
    }

    /// A loose index scan over activities_by_name (workspace_id, kind, name, …): one index seek per distinct name, so
    /// the cost follows the number of names, not of events (PostgreSQL 15 has no skip scan of its own).
    static func eventNamesQuery(workspaceId: String, limit: Int) -> SQLQueryString {
        """
        WITH RECURSIVE names (name, n) AS (
            SELECT MIN(name), 1 FROM activities WHERE workspace_id = \(bind: workspaceId) AND kind = 'track'
            UNION ALL
            SELECT (SELECT MIN(a.name) FROM activities a WHERE a.workspace_id = \(bind: workspaceId) AND a.kind = 'track'
                    AND a.name > names.name), names.n + 1
            FROM names WHERE names.name IS NOT NULL AND names.n < \(unsafeRaw: String(max(0, limit)))
        )
        SELECT name FROM names WHERE name IS NOT NULL ORDER BY name
        """
    }

    static func segment(_ row: any SQLRow) throws -> Segment {
        let ruleText = try row.string("rule")
        guard let json = JSONValue.parse(ruleText), let rule = try? SegmentRule.parse(json) else {
            throw CorruptRowError(table: "segments", column: "rule", value: ruleText)
        }
        return Segment(id: try row.string("id"), workspaceId: try row.string("workspace_id"), name: try row.string("name"),
                       description: try row.optionalString("description"), rule: rule, memberCount: try row.int("member_count"),
                       createdAt: try row.int64("created_at"), updatedAt: try row.int64("updated_at"),
                       refreshedAt: try row.optionalInt64("refreshed_at"))
    }
}
