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
