import RapportCore
import SQLKit

/// Merge and erasure of a person's rows, table by table as `CustomerDataTables` says.
extension SQLCustomerRepository {
    var kind: DatabaseKind { isPostgres ? .postgres : .sqlite }

    var exportSections: [String] { CustomerDataTables.exportSections }

    func reassign(workspaceId: String, _ merges: [(from: String, to: String)]) async throws {
        guard !merges.isEmpty else { return }
        // Where each merged profile's rows end up: the last survivor of its chain of merges.
        var next: [String: String] = [:]
        for merge in merges { next[merge.from] = merge.to }
        func survivor(_ id: String) -> String {
            var current = id
            while let following = next[current], following != id { current = following }
            return current
        }
        var merged: [String] = []
        var seen: Set<String> = []
        for merge in merges where seen.insert(merge.from).inserted { merged.append(merge.from) }
        for start in stride(from: 0, to: merged.count, by: Self.reassignChunk) {
            let chunk = Array(merged[start..<min(start + Self.reassignChunk, merged.count)])
            let holding = try await tablesHolding(workspaceId: workspaceId, customerIds: chunk)
            for table in CustomerDataTables.tables(kind) where holding.contains(table.name) {
                switch table.onMerge {
                case .reassign:
                    for column in table.customerColumns {
                        try await moveRows(table.name, column: column, workspaceId: workspaceId,
                                           chunk.map { ($0, survivor($0)) })
                    }
                case .reassignUnlessSurvivorHas(let key):
                    // In the order the merges happened: a membership both profiles of a merge hold is kept once.
                    let inChunk = Set(chunk)
                    for merge in merges where inChunk.contains(merge.from) {
                        try await db.raw("""
                            DELETE FROM \(unsafeRaw: table.name) WHERE workspace_id = \(bind: workspaceId)
                            AND customer_id = \(bind: merge.from)
                            AND \(unsafeRaw: key) IN (SELECT \(unsafeRaw: key) FROM \(unsafeRaw: table.name)
                                WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: merge.to))
                            """).run()
                        try await db.raw("""
                            UPDATE \(unsafeRaw: table.name) SET customer_id = \(bind: merge.to)
                            WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: merge.from)
                            """).run()
                    }
                case .searchIndex, .keep:
                    break
                }
            }
        }
    }

    /// Merged profiles handled by one probe and one statement a table (binds: a few hundred a statement).
    static let reassignChunk = 400

    /// Gives the rows of each `moves.from` in `table` to its `moves.to`, one statement.
    private func moveRows(_ table: String, column: String, workspaceId: String, _ moves: [(from: String, to: String)]) async throws {
        if isPostgres {
            try await db.raw("""
                UPDATE \(unsafeRaw: table) SET \(unsafeRaw: column) = m.to_id
                FROM unnest(\(bind: moves.map(\.from)), \(bind: moves.map(\.to))) AS m (from_id, to_id)
                WHERE \(unsafeRaw: table).workspace_id = \(bind: workspaceId) AND \(unsafeRaw: table).\(unsafeRaw: column) = m.from_id
                """).run()
            return
        }
        var sql = SQLQueryString("UPDATE \(unsafeRaw: table) SET \(unsafeRaw: column) = CASE \(unsafeRaw: column)")
        for move in moves {
            sql.appendInterpolation(unsafeRaw: " WHEN ")
            sql.appendInterpolation(bind: move.from)
            sql.appendInterpolation(unsafeRaw: " THEN ")
            sql.appendInterpolation(bind: move.to)
        }
        sql.appendInterpolation(unsafeRaw: " END WHERE workspace_id = ")
        sql.appendInterpolation(bind: workspaceId)
        sql.appendInterpolation(unsafeRaw: " AND \(column) ")
        sql.appendInterpolation(isIn: moves.map(\.from), postgres: false)
        try await db.raw(sql).run()
    }

    /// The tables a merge changes that hold rows of any of `customerIds`, found by one statement (an indexed `EXISTS`
    /// per table). A merged profile, usually an anonymous visitor, has rows in a few of them; each table skipped saves
    /// the merges a statement (issue 9: merges ran at 0.18 of the known-people rate with an UPDATE for every table,
    /// then at 0.21 with this probe prepared and run for every merge; a transaction's merges now share it).
    func tablesHolding(workspaceId: String, customerIds: [String]) async throws -> Set<String> {
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
            sql.appendInterpolation(unsafeRaw: " AND \(probe.column) ")
            sql.appendInterpolation(isIn: customerIds, postgres: isPostgres)
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
