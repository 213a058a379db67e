import RapportCore
import SQLKit

/// Merge and erasure of a person's rows, table by table as `CustomerDataTables` says.
extension SQLCustomerRepository {
    var kind: DatabaseKind { isPostgres ? .postgres : .sqlite }

    var exportSections: [String] { CustomerDataTables.exportSections }

    func reassign(workspaceId: String, from: String, to: String) async throws {
        var search = false
        for table in CustomerDataTables.tables(kind) {
            let name = table.name
            switch table.onMerge {
            case .reassign:
                for column in table.customerColumns {
                    try await db.raw("""
                        UPDATE \(unsafeRaw: name) SET \(unsafeRaw: column) = \(bind: to)
                        WHERE workspace_id = \(bind: workspaceId) AND \(unsafeRaw: column) = \(bind: from)
                        """).run()
                }
            case .reassignUnlessSurvivorHas(let key):
                try await db.raw("""
                    DELETE FROM \(unsafeRaw: name) WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: from)
                    AND \(unsafeRaw: key) IN (SELECT \(unsafeRaw: key) FROM \(unsafeRaw: name)
                        WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: to))
                    """).run()
                try await db.raw("""
                    UPDATE \(unsafeRaw: name) SET customer_id = \(bind: to)
                    WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: from)
                    """).run()
            case .searchIndex:
                search = true
            case .keep:
                break
            }
        }
        if search { try await deleteSearch(workspaceId: workspaceId, customerIds: [from]) }
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
