import Foundation
import RapportCore

/// Where the data lives: `sqlite:PATH` (embedded) or `postgres://user:pass@host:port/db`.
public enum DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    /// `searchPath` comes from the non-standard `search_path` query item (tests use a schema each).
    case postgres(url: String, searchPath: [String]?)

    public static let defaultValue = "sqlite:./rapport-data/rapport.sqlite"

    /// Parses the forms the CLI and `DATABASE_URL` accept.
    public init(parsing raw: String) throws(RapportError) {
        let text = raw.trimmed
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw Self.invalid(raw, "sqlite: needs a file path, e.g. sqlite:./rapport-data/rapport.sqlite") }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            guard var components = URLComponents(string: text), let host = components.host, !host.isEmpty,
                  components.user != nil else {
                throw Self.invalid(raw, "expected postgres://user:password@host:port/database")
            }
            var searchPath: [String]?
            if let items = components.queryItems {
                if let item = items.first(where: { $0.name == "search_path" }), let value = item.value {
                    searchPath = value.split(separator: ",").map(String.init)
                }
                let rest = items.filter { $0.name != "search_path" }
                components.queryItems = rest.isEmpty ? nil : rest
            }
            guard let cleaned = components.string else { throw Self.invalid(raw, "expected postgres://user:password@host:port/database") }
            self = .postgres(url: cleaned, searchPath: searchPath)
        } else {
            throw Self.invalid(raw, "use sqlite:PATH or postgres://user:password@host:port/database")
        }
    }

    public var kind: DatabaseKind {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// The URL without its password, for logs and messages.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url, _):
            guard var components = URLComponents(string: url) else { return "postgres://…" }
            if components.password != nil { components.password = "***" }
            return components.string ?? "postgres://…"
        }
    }

    static func invalid(_ raw: String, _ hint: String) -> RapportError {
        RapportError(.validation, code: "invalid_database_url", message: "Invalid database URL \"\(raw)\": \(hint).")
    }
}

/// The two supported databases.
public enum DatabaseKind: String, Sendable {
    case sqlite, postgres
}
