import Foundation
import RapportCore
import SQLKit

/// Applies pending migrations in order, each in its own transaction. On PostgreSQL an advisory lock makes
/// concurrent starts (two `rapport serve` nodes) wait for each other instead of racing.
public struct Migrator: Sendable {
    let database: DatabaseClient
    let migrations: [Migration]

    public init(database: DatabaseClient, migrations: [Migration] = Migrations.all) {
        self.database = database
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Applies what is pending and returns the labels applied, in order.
    @discardableResult
    public func migrate() async throws -> [String] {
        let kind = database.kind
        try await database.write { db in
            // Concurrent CREATE TABLE IF NOT EXISTS can still collide in PostgreSQL's catalog: serialise it too.
            if kind == .postgres { try await db.raw("SELECT pg_advisory_xact_lock(727274001)").run() }
            try await db.raw("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """).run()
        }
        var applied: [String] = []
        for migration in migrations {
            let done = try await database.write { db -> Bool in
                if kind == .postgres { try await db.raw("SELECT pg_advisory_xact_lock(727274001)").run() }
                let rows = try await db.raw("SELECT version FROM schema_migrations WHERE version = \(bind: migration.version)").all()
                guard rows.isEmpty else { return true }
                for statement in migration.statements(kind) {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                let now = Date().millisSince1970
                try await db.raw("""
                    INSERT INTO schema_migrations (version, name, applied_at)
                    VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: now))
                    """).run()
                return false
            }
            if !done { applied.append(migration.label) }
        }
        return applied
    }

    /// The highest applied version, or 0 on an empty database.
    public func currentVersion() async throws -> Int {
        try await database.read { db in
            let exists = try await Self.hasMigrationsTable(db, kind: database.kind)
            guard exists else { return 0 }
            let row = try await db.raw("SELECT MAX(version) AS v FROM schema_migrations").first()
            return try row?.decode(column: "v", as: Int?.self) ?? 0
        }
    }

    /// Versions known to this binary but not applied.
    public func pending() async throws -> [Migration] {
        let current = try await currentVersion()
        return migrations.filter { $0.version > current }
    }

    static func hasMigrationsTable(_ db: any SQLDatabase, kind: DatabaseKind) async throws -> Bool {
        switch kind {
        case .sqlite:
            return try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
                .first() != nil
        case .postgres:
            return try await db.raw("SELECT to_regclass('schema_migrations') IS NOT NULL AS present").first()?
                .decode(column: "present", as: Bool.self) ?? false
        }
    }
}

