import RapportCore
import SQLKit

struct SQLApiKeyRepository: ApiKeyRepository {
    let db: any SQLDatabase

    static let columns = "workspace_id, id, name, scope, prefix, secret_hash, created_by, created_at, last_used_at, revoked_at"

    func insert(_ key: ApiKey) async throws {
        try await db.raw("""
            INSERT INTO api_keys (\(unsafeRaw: Self.columns))
            VALUES (\(bind: key.workspaceId), \(bind: key.id), \(bind: key.name), \(bind: key.scope.rawValue),
                    \(bind: key.prefix), \(bind: key.secretHash), \(bind: key.createdBy), \(bind: key.createdAt),
                    \(bind: key.lastUsedAt), \(bind: key.revokedAt))
            """).run()
    }

    func find(workspaceId: String, id: String) async throws -> ApiKey? {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM api_keys WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).first().map(Self.key)
    }

    func find(secretHash: String) async throws -> ApiKey? {
        try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM api_keys WHERE secret_hash = \(bind: secretHash)")
            .first().map(Self.key)
    }

    func list(workspaceId: String, page: PageRequest) async throws -> Page<ApiKey> {
        try await db.page("SELECT \(unsafeRaw: Self.columns) FROM api_keys WHERE workspace_id = \(bind: workspaceId)",
                          column: "id", page: page, id: \.id, decode: Self.key)
    }

    func activeCount(workspaceId: String) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM api_keys WHERE workspace_id = \(bind: workspaceId) AND revoked_at IS NULL")
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }

    func revoke(workspaceId: String, id: String, at: Int64) async throws {
        try await db.raw("""
            UPDATE api_keys SET revoked_at = \(bind: at)
            WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id) AND revoked_at IS NULL
            """).run()
    }

    func markUsed(workspaceId: String, id: String, at: Int64) async throws {
        try await db.raw("""
            UPDATE api_keys SET last_used_at = \(bind: at) WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).run()
    }

    static func key(_ row: any SQLRow) throws -> ApiKey {
        let rawScope = try row.string("scope")
        guard let scope = ApiKeyScope(rawValue: rawScope) else {
            throw CorruptRowError(table: "api_keys", column: "scope", value: rawScope)
        }
        return ApiKey(id: try row.string("id"), workspaceId: try row.string("workspace_id"), name: try row.string("name"),
                      scope: scope, prefix: try row.string("prefix"), secretHash: try row.string("secret_hash"),
                      createdBy: try row.optionalString("created_by"), createdAt: try row.int64("created_at"),
                      lastUsedAt: try row.optionalInt64("last_used_at"), revokedAt: try row.optionalInt64("revoked_at"))
    }
}
