import RapportCore
import SQLKit

extension SQLRow {
    func string(_ column: String) throws -> String { try decode(column: column, as: String.self) }
    func optionalString(_ column: String) throws -> String? { try decode(column: column, as: String?.self) }
    func int64(_ column: String) throws -> Int64 { try decode(column: column, as: Int64.self) }
    func optionalInt64(_ column: String) throws -> Int64? { try decode(column: column, as: Int64?.self) }
    func int(_ column: String) throws -> Int { Int(try decode(column: column, as: Int64.self)) }
}

/// A stored value that no longer fits the domain (e.g. an unknown role): a bug or a bad manual edit.
struct CorruptRowError: Error, CustomStringConvertible {
    let table: String
    let column: String
    let value: String
    var description: String { "unexpected value \(value) in \(table).\(column)" }
}

extension SQLDatabase {
    var isPostgres: Bool { dialect.name == "postgresql" }

    /// Runs `query` (a SELECT ending in its WHERE clause) as one newest-first page keyed on `column`, a UUIDv7 id
    /// column: rows older than the cursor, one more than the limit to know whether another page follows.
    func page<T>(_ query: SQLQueryString, column: String, page: PageRequest, id: (T) -> String,
                 decode: (any SQLRow) throws -> T) async throws -> Page<T> {
        var sql = query
        if let after = page.after {
            sql.appendInterpolation(unsafeRaw: " AND \(column) < ")
            sql.appendInterpolation(bind: after)
        }
        sql.appendInterpolation(unsafeRaw: " ORDER BY \(column) DESC LIMIT \(page.limit + 1)")
        return Page(fetched: try await raw(sql).all().map(decode), limit: page.limit, id: id)
    }
}

extension SQLQueryString {
    /// `IN (?, ?, …)` on SQLite; `= ANY(?)` with one array parameter on PostgreSQL, which parses and plans a long
    /// list much faster as an array. Callers keep lists under SQLite's parameter limit (chunks of a few hundred).
    mutating func appendInterpolation(isIn values: [String], postgres: Bool) {
        if postgres {
            appendInterpolation(unsafeRaw: "= ANY(")
            appendInterpolation(bind: values)
        } else {
            appendInterpolation(unsafeRaw: "IN (")
            appendInterpolation(binds: values)
        }
        appendInterpolation(unsafeRaw: ")")
    }
}
