import Foundation
import SQLKit

/// Several lists read in one statement: each list is a scalar subquery that turns its rows into one JSON text (an
/// array of arrays), and `JSONRows` turns that text back into rows that the repositories' usual row decoders read.
/// On PostgreSQL every statement is a round trip; a page that needs six short lists pays one instead of six.
enum JSONRows {
    /// `(SELECT <rows of query as a JSON array of arrays, sorted by orderBy>)`: `query` must name `columns` (and the
    /// columns of `orderBy`) in its select list. An empty result is `[]`.
    static func aggregate(_ query: SQLQueryString, columns: [String], orderBy: String, postgres: Bool) -> SQLQueryString {
        let values = columns.map { "p.\($0)" }.joined(separator: ", ")
        var sql = SQLQueryString(postgres
            ? "(SELECT COALESCE(json_agg(json_build_array(\(values)) ORDER BY \(orderBy)), '[]')::text FROM ("
            : "(SELECT json_group_array(json_array(\(values)) ORDER BY \(orderBy)) FROM (")
        sql.appendInterpolation(query)
        sql.appendInterpolation(unsafeRaw: ") p)")
        return sql
    }

    /// The rows of one aggregated list, each answering to `columns` by name.
    static func rows(_ text: String, columns: [String]) throws -> [JSONArrayRow] {
        let index = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })
        return try JSONDecoder().decode([[JSONCell]].self, from: Data(text.utf8)).map { cells in
            guard cells.count == columns.count else {
                throw CorruptRowError(table: "(aggregated list)", column: columns.joined(separator: ","), value: "\(cells.count) values")
            }
            return JSONArrayRow(index: index, cells: cells)
        }
    }
}

/// One value of an aggregated row. Integers stay exact (64-bit), as they are in their tables.
enum JSONCell: Decodable, Sendable {
    case null, bool(Bool), integer(Int64), double(Double), string(String)

    init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer()
        if value.decodeNil() { self = .null }
        else if let integer = try? value.decode(Int64.self) { self = .integer(integer) }
        else if let double = try? value.decode(Double.self) { self = .double(double) }
        else if let string = try? value.decode(String.self) { self = .string(string) }
        else { self = .bool(try value.decode(Bool.self)) }
    }
}

/// A row of an aggregated list, read through `SQLRow` like a row of the table it came from.
struct JSONArrayRow: SQLRow {
    let index: [String: Int]
    let cells: [JSONCell]

    var allColumns: [String] { index.sorted { $0.value < $1.value }.map(\.key) }

    func contains(column: String) -> Bool { index[column] != nil }

    func decodeNil(column: String) throws -> Bool {
        if case .null = try cell(column) { return true }
        return false
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        let found: Any? = switch try cell(column) {
        case .null: (D.self as? any ExpressibleByNilLiteral.Type).map { $0.init(nilLiteral: ()) }
        case .bool(let bool): bool
        case .string(let string): string
        case .double(let double): double
        case .integer(let integer):
            if D.self == Int.self || D.self == Int?.self { Int(exactly: integer) as Any }
            else if D.self == Double.self || D.self == Double?.self { Double(integer) }
            else { integer }
        }
        guard let value = found as? D else {
            throw DecodingError.typeMismatch(D.self, .init(codingPath: [], debugDescription: "column \(column) holds \(String(describing: found))"))
        }
        return value
    }

    private func cell(_ column: String) throws -> JSONCell {
        guard let position = index[column] else {
            throw DecodingError.keyNotFound(SQLCodingKey(stringValue: column), .init(codingPath: [], debugDescription: "no column \(column)"))
        }
        return cells[position]
    }
}

private struct SQLCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
