import Foundation
import RapportCore
import SQLKit

struct SQLCustomerRepository: CustomerRepository {
    let db: any SQLDatabase

    var isPostgres: Bool { db.isPostgres }

    static let columns = """
        c.workspace_id, c.id, c.traits, c.trait_times, c.created_at, c.updated_at, c.first_seen_at, c.last_seen_at, c.merged_into
        """

    func lockIdentities(workspaceId: String) async throws {
        guard isPostgres else { return }
        try await db.raw("SELECT pg_advisory_xact_lock(727274002, hashtext(\(bind: workspaceId)))").run()
    }

    func insert(_ customer: Customer) async throws {
        try await db.raw("""
            INSERT INTO customers (workspace_id, id, email, name, phone, traits, trait_times, created_at, updated_at,
                                   first_seen_at, last_seen_at, merged_into)
            VALUES (\(bind: customer.workspaceId), \(bind: customer.id), \(bind: customer.email), \(bind: customer.name),
                    \(bind: customer.phone), \(bind: JSONValue.object(customer.traits).jsonText),
                    \(bind: Self.timesText(customer.traitTimes)), \(bind: customer.createdAt), \(bind: customer.updatedAt),
                    \(bind: customer.firstSeenAt), \(bind: customer.lastSeenAt), \(bind: customer.mergedInto))
            """).run()
    }

    func update(_ customer: Customer) async throws {
        try await db.raw("""
            UPDATE customers SET email = \(bind: customer.email), name = \(bind: customer.name), phone = \(bind: customer.phone),
                traits = \(bind: JSONValue.object(customer.traits).jsonText), trait_times = \(bind: Self.timesText(customer.traitTimes)),
                updated_at = \(bind: customer.updatedAt), first_seen_at = \(bind: customer.firstSeenAt),
                last_seen_at = \(bind: customer.lastSeenAt), merged_into = \(bind: customer.mergedInto)
            WHERE workspace_id = \(bind: customer.workspaceId) AND id = \(bind: customer.id)
            """).run()
    }

    func upsert(_ customers: [Customer]) async throws {
        for start in stride(from: 0, to: customers.count, by: 200) {
            var sql = SQLQueryString("""
                INSERT INTO customers (workspace_id, id, email, name, phone, traits, trait_times, created_at, updated_at,
                                       first_seen_at, last_seen_at, merged_into) VALUES
                """)
            for (offset, customer) in customers[start..<min(start + 200, customers.count)].enumerated() {
                if offset > 0 { sql.appendInterpolation(unsafeRaw: ", ") }
                sql.appendInterpolation(unsafeRaw: "(")
                sql.appendInterpolation(binds: [
                    customer.workspaceId, customer.id, customer.email, customer.name, customer.phone,
                    JSONValue.object(customer.traits).jsonText, Self.timesText(customer.traitTimes), customer.createdAt,
                    customer.updatedAt, customer.firstSeenAt, customer.lastSeenAt, customer.mergedInto,
                ])
                sql.appendInterpolation(unsafeRaw: ")")
            }
            sql.appendInterpolation(unsafeRaw: """
                 ON CONFLICT (workspace_id, id) DO UPDATE SET email = excluded.email, name = excluded.name,
                    phone = excluded.phone, traits = excluded.traits, trait_times = excluded.trait_times,
                    updated_at = excluded.updated_at, first_seen_at = excluded.first_seen_at,
                    last_seen_at = excluded.last_seen_at, merged_into = excluded.merged_into
                """)
            try await db.raw(sql).run()
        }
    }

    func find(workspaceId: String, id: String) async throws -> Customer? {
        try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM customers c WHERE c.workspace_id = \(bind: workspaceId) AND c.id = \(bind: id)")
            .first().map(Self.customer)
    }

    func find(workspaceId: String, ids: [String]) async throws -> [Customer] {
        guard !ids.isEmpty else { return [] }
        return try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM customers c
            WHERE c.workspace_id = \(bind: workspaceId) AND c.id \(isIn: ids, postgres: isPostgres)
            """).all().map(Self.customer)
    }

    func count(workspaceId: String) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM customers WHERE workspace_id = \(bind: workspaceId) AND merged_into IS NULL")
            .first()?.int("n") ?? 0
    }

    func owners(workspaceId: String, of identifiers: [Identifier]) async throws -> [Identifier: String] {
        try await ownerQuery(workspaceId: workspaceId, of: identifiers, withProfiles: false).owners
    }

    func ownersWithProfiles(workspaceId: String, of identifiers: [Identifier]) async throws
        -> (owners: [Identifier: String], profiles: [Customer]) {
        guard isPostgres else { return try await ownerQuery(workspaceId: workspaceId, of: identifiers, withProfiles: true) }
        // PostgreSQL plans the join from table statistics, which are empty on a new workspace's first minute (before
        // autovacuum analyses them): it then scanned every profile per identifier. Two single-table lookups by key
        // cannot go quadratic.
        let owners = try await ownerQuery(workspaceId: workspaceId, of: identifiers, withProfiles: false).owners
        return (owners, try await find(workspaceId: workspaceId, ids: Array(Set(owners.values))))
    }

    private func ownerQuery(workspaceId: String, of identifiers: [Identifier], withProfiles: Bool) async throws
        -> (owners: [Identifier: String], profiles: [Customer]) {
        var owners: [Identifier: String] = [:]
        var profiles: [String: Customer] = [:]
        // One statement: a UNION ALL of one index range per (kind, namespace), so every branch seeks the primary key
        // (workspace_id, kind, namespace, value) instead of scanning the workspace's identifiers; joined to the
        // profiles when they are wanted too.
        let groups = Dictionary(grouping: Set(identifiers)) { "\($0.kind.rawValue)|\($0.namespace)" }
        let branches = groups.values.flatMap { group in
            stride(from: 0, to: group.count, by: 300).map { Array(group[$0..<min($0 + 300, group.count)]) }
        }
        for start in stride(from: 0, to: branches.count, by: 50) {
            let sql = Self.ownersQuery(workspaceId: workspaceId, branches: Array(branches[start..<min(start + 50, branches.count)]),
                                       withProfiles: withProfiles, postgres: isPostgres)
            for row in try await db.raw(sql).all() {
                guard let kind = IdentifierKind(rawValue: try row.string("kind")) else { continue }
                let owner = try row.string("customer_id")
                owners[Identifier(kind, try row.string("value"), namespace: try row.string("namespace"))] = owner
                if withProfiles, profiles[owner] == nil { profiles[owner] = try Self.customer(row) }
            }
        }
        return (owners, Array(profiles.values))
    }

    /// The owners of `branches` (identifiers of one kind and namespace each), with their profiles when wanted.
    static func ownersQuery(workspaceId: String, branches: [[Identifier]], withProfiles: Bool, postgres: Bool) -> SQLQueryString {
        var sql = SQLQueryString(withProfiles ? "WITH o AS (" : "")
        // SQLite: the primary key by name. With statistics from when the workspace was small (a large import or a
        // busy day since the last ANALYZE), SQLite judged a walk of every identifier of the workspace cheaper than a
        // few hundred key lookups, and each batch of an import then read the whole workspace.
        let table = postgres ? "customer_identifiers" : "customer_identifiers INDEXED BY sqlite_autoindex_customer_identifiers_1"
        for (offset, branch) in branches.enumerated() {
            if offset > 0 { sql.appendInterpolation(unsafeRaw: " UNION ALL ") }
            sql.appendInterpolation(unsafeRaw: "SELECT kind, namespace, value, customer_id FROM \(table) WHERE workspace_id = ")
            sql.appendInterpolation(bind: workspaceId)
            sql.appendInterpolation(unsafeRaw: " AND kind = ")
            sql.appendInterpolation(bind: branch[0].kind.rawValue)
            sql.appendInterpolation(unsafeRaw: " AND namespace = ")
            sql.appendInterpolation(bind: branch[0].namespace)
            sql.appendInterpolation(unsafeRaw: " AND value ")
            sql.appendInterpolation(isIn: branch.map(\.value), postgres: postgres)
        }
        if withProfiles {
            sql.appendInterpolation(unsafeRaw: ") SELECT o.kind, o.namespace, o.value, o.customer_id, \(Self.columns) FROM o JOIN customers c ON c.workspace_id = ")
            sql.appendInterpolation(bind: workspaceId)
            sql.appendInterpolation(unsafeRaw: " AND c.id = o.customer_id")
        }
        return sql
    }

    func updateSeen(workspaceId: String, _ seen: [(id: String, first: Int64, last: Int64)]) async throws {
        guard !seen.isEmpty else { return }
        if isPostgres {
            // Three array parameters, unnested: one short statement to parse whatever the number of rows.
            try await db.raw("""
                UPDATE customers SET first_seen_at = v.f, last_seen_at = v.l
                FROM unnest(\(bind: seen.map(\.id)), \(bind: seen.map(\.first)), \(bind: seen.map(\.last))) AS v (id, f, l)
                WHERE customers.workspace_id = \(bind: workspaceId) AND customers.id = v.id
                """).run()
            return
        }
        // One UPDATE … FROM a list of values per chunk (SQLite ≥ 3.33).
        for start in stride(from: 0, to: seen.count, by: 300) {
            var sql = SQLQueryString("WITH v (id, f, l) AS (VALUES ")
            for (offset, entry) in seen[start..<min(start + 300, seen.count)].enumerated() {
                sql.appendInterpolation(unsafeRaw: offset > 0 ? ", (" : "(")
                sql.appendInterpolation(bind: entry.id)
                sql.appendInterpolation(unsafeRaw: ", CAST(")
                sql.appendInterpolation(bind: entry.first)
                sql.appendInterpolation(unsafeRaw: " AS BIGINT), CAST(")
                sql.appendInterpolation(bind: entry.last)
                sql.appendInterpolation(unsafeRaw: " AS BIGINT))")
            }
            sql.appendInterpolation(unsafeRaw: ") UPDATE customers SET first_seen_at = v.f, last_seen_at = v.l FROM v WHERE customers.workspace_id = ")
            sql.appendInterpolation(bind: workspaceId)
            sql.appendInterpolation(unsafeRaw: " AND customers.id = v.id")
            try await db.raw(sql).run()
        }
    }

    func addIdentifiers(workspaceId: String, customerId: String, _ identifiers: [Identifier], at: Int64) async throws {
        try await addIdentifiers(workspaceId: workspaceId, identifiers.map { (customerId, $0) }, at: at)
    }

    func addIdentifiers(workspaceId: String, _ assignments: [(customerId: String, identifier: Identifier)], at: Int64) async throws {
        for start in stride(from: 0, to: assignments.count, by: 500) {
            var sql = SQLQueryString("INSERT INTO customer_identifiers (workspace_id, kind, namespace, value, customer_id, created_at) VALUES ")
            for (offset, (customerId, identifier)) in assignments[start..<min(start + 500, assignments.count)].enumerated() {
                if offset > 0 { sql.appendInterpolation(unsafeRaw: ", ") }
                sql.appendInterpolation(unsafeRaw: "(")
                sql.appendInterpolation(binds: [workspaceId, identifier.kind.rawValue, identifier.namespace, identifier.value, customerId])
                sql.appendInterpolation(unsafeRaw: ", \(at))")
            }
            sql.appendInterpolation(unsafeRaw: " ON CONFLICT DO NOTHING")
            try await db.raw(sql).run()
        }
    }

    func identifiers(workspaceId: String, customerId: String) async throws -> [Identifier] {
        try await db.raw(Self.identifiersQuery(workspaceId: workspaceId, customerId: customerId)).all().compactMap(Self.identifier)
    }

    static let identifierColumns = ["kind", "namespace", "value"]

    /// An identifier row; `nil` for a kind this version does not know.
    static func identifier(_ row: any SQLRow) throws -> Identifier? {
        guard let kind = IdentifierKind(rawValue: try row.string("kind")) else { return nil }
        return Identifier(kind, try row.string("value"), namespace: try row.string("namespace"))
    }

    func userIds(workspaceId: String, of customerIds: [String]) async throws -> [String: Set<String>] {
        guard !customerIds.isEmpty else { return [:] }
        var found: [String: Set<String>] = [:]
        // A range of `customer_identifiers_by_customer_sorted` (workspace, customer, kind, …) per profile.
        for row in try await db.raw("""
            SELECT customer_id, value FROM customer_identifiers
            WHERE workspace_id = \(bind: workspaceId) AND customer_id \(isIn: customerIds, postgres: isPostgres)
            AND kind = \(bind: IdentifierKind.userId.rawValue)
            """).all() {
            found[try row.string("customer_id"), default: []].insert(try row.string("value"))
        }
        return found
    }

    /// One profile's identifiers, in order. Read from `customer_identifiers_by_customer_sorted`, whose columns are
    /// the filter then the order: one range of the index, no sort. With only `(workspace_id, customer_id)` to
    /// filter by, and no statistics, SQLite chose the primary key for its order and walked every identifier of the
    /// workspace (seconds a batch when every message merged two profiles).
    static func identifiersQuery(workspaceId: String, customerId: String) -> SQLQueryString {
        """
        SELECT kind, namespace, value FROM customer_identifiers
        WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: customerId) ORDER BY kind, namespace, value
        """
    }

    func removeIdentifier(workspaceId: String, _ identifier: Identifier) async throws {
        try await db.raw("""
            DELETE FROM customer_identifiers WHERE workspace_id = \(bind: workspaceId) AND kind = \(bind: identifier.kind.rawValue)
            AND namespace = \(bind: identifier.namespace) AND value = \(bind: identifier.value)
            """).run()
    }

    func recordMerges(_ merges: [CustomerMerge]) async throws {
        for start in stride(from: 0, to: merges.count, by: 500) {
            var sql = SQLQueryString("""
                INSERT INTO customer_merges (workspace_id, id, survivor_id, merged_id, reason, identifiers, merged_at) VALUES
                """)
            for (offset, merge) in merges[start..<min(start + 500, merges.count)].enumerated() {
                sql.appendInterpolation(unsafeRaw: offset == 0 ? " (" : ", (")
                sql.appendInterpolation(binds: [merge.workspaceId, merge.id, merge.survivorId, merge.mergedId, merge.reason,
                                                JSONValue.array(merge.identifiers.map(JSONValue.string)).jsonText])
                sql.appendInterpolation(unsafeRaw: ", \(merge.mergedAt))")
            }
            try await db.raw(sql).run()
        }
    }

    func merges(workspaceId: String, customerId: String) async throws -> [CustomerMerge] {
        try await db.raw(Self.mergesQuery(workspaceId: workspaceId, customerId: customerId)).all()
            .map { try Self.merge($0, workspaceId: workspaceId) }.sorted { $0.id < $1.id }
    }

    static let mergeColumns = ["id", "survivor_id", "merged_id", "reason", "identifiers", "merged_at"]

    /// Merges into this profile, and into profiles that were later merged into it, walked by
    /// `customer_merges_by_survivor` one generation at a time (usually one or two), never the workspace's whole merge
    /// history (`CROSS JOIN` keeps SQLite from putting the merges table outside the loop). Unsorted: an `ORDER BY id`
    /// here would tempt the planner to walk the primary key, as it did for identifiers. `UNION` (not `UNION ALL`) ends
    /// the walk should merges ever form a loop.
    static func mergesQuery(workspaceId: String, customerId: String) -> SQLQueryString {
        """
        WITH RECURSIVE found (id, survivor_id, merged_id, reason, identifiers, merged_at) AS (
            SELECT id, survivor_id, merged_id, reason, identifiers, merged_at FROM customer_merges
            WHERE workspace_id = \(bind: workspaceId) AND survivor_id = \(bind: customerId)
            UNION
            SELECT m.id, m.survivor_id, m.merged_id, m.reason, m.identifiers, m.merged_at
            FROM found f CROSS JOIN customer_merges m WHERE m.workspace_id = \(bind: workspaceId) AND m.survivor_id = f.merged_id
        )
        SELECT id, survivor_id, merged_id, reason, identifiers, merged_at FROM found
        """
    }

    static func merge(_ row: any SQLRow, workspaceId: String) throws -> CustomerMerge {
        CustomerMerge(id: try row.string("id"), workspaceId: workspaceId, survivorId: try row.string("survivor_id"),
                      mergedId: try row.string("merged_id"), reason: try row.string("reason"),
                      identifiers: JSONValue.parse(try row.string("identifiers"))?.arrayValue?.compactMap(\.stringValue) ?? [],
                      mergedAt: try row.int64("merged_at"))
    }

    func appendTraitHistory(workspaceId: String, _ changes: [(customerId: String, change: TraitChange)]) async throws {
        // Ids are made in order (UUIDv7), so each profile's changes keep their order in its history.
        for start in stride(from: 0, to: changes.count, by: 500) {
            var sql = SQLQueryString("INSERT INTO trait_history (workspace_id, id, customer_id, trait, value, source, recorded_at) VALUES ")
            for (index, (customerId, change)) in changes[start..<min(start + 500, changes.count)].enumerated() {
                if index > 0 { sql.appendInterpolation(unsafeRaw: ", ") }
                sql.appendInterpolation(unsafeRaw: "(")
                sql.appendInterpolation(binds: [workspaceId, UUIDv7Text.make(), customerId, change.trait, change.value.jsonText, change.source])
                sql.appendInterpolation(unsafeRaw: ", \(change.recordedAt))")
            }
            try await db.raw(sql).run()
        }
    }

    func traitHistory(workspaceId: String, customerId: String, limit: Int) async throws -> [TraitChange] {
        try await db.raw(Self.traitHistoryQuery(workspaceId: workspaceId, customerId: customerId, limit: limit)).all()
            .map(Self.traitChange)
    }

    static let traitChangeColumns = ["trait", "value", "source", "recorded_at"]

    /// A profile's latest `limit` trait changes, newest first (`id` is a UUIDv7: its order is the order of changes).
    static func traitHistoryQuery(workspaceId: String, customerId: String, limit: Int) -> SQLQueryString {
        """
        SELECT id, trait, value, source, recorded_at FROM trait_history
        WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: customerId) ORDER BY id DESC LIMIT \(unsafeRaw: String(limit))
        """
    }

    static func traitChange(_ row: any SQLRow) throws -> TraitChange {
        TraitChange(trait: try row.string("trait"), value: JSONValue.parse(try row.string("value")) ?? .null,
                    source: try row.string("source"), recordedAt: try row.int64("recorded_at"))
    }

    static func timesText(_ times: [String: Int64]) -> String {
        JSONValue.object(times.mapValues { .number(Double($0)) }).jsonText
    }

    static func customer(_ row: any SQLRow) throws -> Customer {
        let traits = JSONValue.parse(try row.string("traits"))?.objectValue ?? [:]
        let times = (JSONValue.parse(try row.string("trait_times"))?.objectValue ?? [:]).compactMapValues { $0.numberValue.map { Int64($0) } }
        return Customer(id: try row.string("id"), workspaceId: try row.string("workspace_id"), traits: traits, traitTimes: times,
                        createdAt: try row.int64("created_at"), updatedAt: try row.int64("updated_at"),
                        firstSeenAt: try row.int64("first_seen_at"), lastSeenAt: try row.int64("last_seen_at"),
                        mergedInto: try row.optionalString("merged_into"))
    }
}

/// Time-ordered ids for rows the domain does not name (trait history).
enum UUIDv7Text {
    static let generator = IDGenerator.uuidV7(clock: .system)
    static func make() -> String { generator.next() }
}
