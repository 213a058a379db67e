import RapportCore
import SQLKit

/// Merge and erasure of a person's rows, table by table as `CustomerDataTables` says.
extension SQLCustomerRepository {
    var kind: DatabaseKind { isPostgres ? .postgres : .sqlite }

    var exportSections: [String] { CustomerDataTables.exportSections }

    func reassign(workspaceId: String, from: String, to: String) async throws {
        let holding = try await tablesHolding(workspaceId: workspaceId, customerId: from)
        for table in CustomerDataTables.tables(kind) {
            let name = table.name
            switch table.onMerge {
            case .reassign:
                for column in table.customerColumns where holding.contains(name) {
                    try await db.raw("""
                        UPDATE \(unsafeRaw: name) SET \(unsafeRaw: column) = \(bind: to)
                        WHERE workspace_id = \(bind: workspaceId) AND \(unsafeRaw: column) = \(bind: from)
                        """).run()
                }
            case .reassignUnlessSurvivorHas(let key) where holding.contains(name):
                try await db.raw("""
                    DELETE FROM \(unsafeRaw: name) WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: from)
                    AND \(unsafeRaw: key) IN (SELECT \(unsafeRaw: key) FROM \(unsafeRaw: name)
                        WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: to))
                    """).run()
                try await db.raw("""
                    UPDATE \(unsafeRaw: name) SET customer_id = \(bind: to)
                    WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: from)
                    """).run()
            case .reassignUnlessSurvivorHas, .searchIndex, .keep:
                break
            }
        }
    }

    /// The tables a merge changes that hold rows of `customerId`, found by one statement (an indexed `EXISTS` per
    /// table). A merged profile, usually an anonymous visitor, has rows in a few of them; each table skipped saves the
    /// merge a statement and a round trip through the driver (issue 9: merges ran at 0.18 of the known-people rate
    /// with an UPDATE for every table).
    func tablesHolding(workspaceId: String, customerId: String) async throws -> Set<String> {
        var probes: [(table: String, column: String)] = []
        for table in CustomerDataTables.tables(kind) {
            switch table.onMerge {
            case .reassign, .reassignUnlessSurvivorHas: probes += table.customerColumns.map { (table.name, $0) }
            case .searchIndex, .keep: break
            }
        }
        var sql = SQLQueryString("")
        for (offset, probe) in probes.enumerated() {
            if offset > 0 { sql.appendInterpolation(unsafeRaw: " UNION ALL ") }
            sql.appendInterpolation(unsafeRaw: "SELECT '\(probe.table)' AS name WHERE EXISTS (SELECT 1 FROM \(probe.table) ")
            sql.appendInterpolation(unsafeRaw: "WHERE workspace_id = ")
            sql.appendInterpolation(bind: workspaceId)
            sql.appendInterpolation(unsafeRaw: " AND \(probe.column) = ")
            sql.appendInterpolation(bind: customerId)
            sql.appendInterpolation(unsafeRaw: ")")
        }
        return Set(try await db.raw(sql).all().map { try $0.string("name") })
    }

    func erase(workspaceId: String, customerId: String) async throws {
        let merged = try await db.raw("""
            SELECT id FROM customers WHERE workspace_id = \(bind: workspaceId) AND merged_into = \(bind: customerId)
            """).all().map { try $0.string("id") }
        for id in [customerId] + merged {
            var search = false
            for table in CustomerDataTables.tables(kind) {
                let name = table.name
                var match = SQLQueryString("")
                for (offset, column) in table.customerColumns.enumerated() {
                    match.appendInterpolation(unsafeRaw: offset == 0 ? "(" : " OR ")
                    match.appendInterpolation(unsafeRaw: column)
                    match.appendInterpolation(unsafeRaw: " = ")
                    match.appendInterpolation(bind: id)
                }
                match.appendInterpolation(unsafeRaw: ")")
                switch table.onErase {
                case .delete:
                    try await db.raw("DELETE FROM \(unsafeRaw: name) WHERE workspace_id = \(bind: workspaceId) AND \(match)").run()
                case .anonymise:
                    for column in table.customerColumns {
                        try await db.raw("""
                            UPDATE \(unsafeRaw: name) SET \(unsafeRaw: column) = NULL
                            WHERE workspace_id = \(bind: workspaceId) AND \(unsafeRaw: column) = \(bind: id)
                            """).run()
                    }
                case .searchIndex:
                    search = true
                }
            }
            if search { try await deleteSearch(workspaceId: workspaceId, customerIds: [id]) }
            try await db.raw("DELETE FROM customers WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)").run()
        }
    }
}
