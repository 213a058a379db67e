import RapportCore
import SQLKit

struct SQLAccountRepository: AccountRepository {
    let db: any SQLDatabase

    static let columns = "a.workspace_id, a.id, a.group_id, a.traits, a.created_at, a.updated_at"

    func find(workspaceId: String, groupId: String) async throws -> Account? {
        try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM accounts a WHERE a.workspace_id = \(bind: workspaceId) AND a.group_id = \(bind: groupId)")
            .first().map(Self.account)
    }

    func find(workspaceId: String, id: String) async throws -> Account? {
        try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM accounts a WHERE a.workspace_id = \(bind: workspaceId) AND a.id = \(bind: id)")
            .first().map(Self.account)
    }

    func upsert(_ account: Account) async throws {
        try await db.raw("""
            INSERT INTO accounts (workspace_id, id, group_id, name, traits, created_at, updated_at)
            VALUES (\(bind: account.workspaceId), \(bind: account.id), \(bind: account.groupId), \(bind: account.name),
                    \(bind: JSONValue.object(account.traits).jsonText), \(bind: account.createdAt), \(bind: account.updatedAt))
            ON CONFLICT (workspace_id, id) DO UPDATE SET name = EXCLUDED.name, traits = EXCLUDED.traits, updated_at = EXCLUDED.updated_at
            """).run()
    }

    func addMember(workspaceId: String, accountId: String, customerId: String, at: Int64) async throws {
        try await db.raw("""
            INSERT INTO account_members (workspace_id, account_id, customer_id, created_at)
            VALUES (\(bind: workspaceId), \(bind: accountId), \(bind: customerId), \(bind: at)) ON CONFLICT DO NOTHING
            """).run()
    }

    func list(workspaceId: String, page: PageRequest) async throws -> Page<Account> {
        try await db.page("SELECT \(unsafeRaw: Self.columns) FROM accounts a WHERE a.workspace_id = \(bind: workspaceId)",
                          column: "a.id", page: page, id: \.id, decode: Self.account)
    }

    func accounts(workspaceId: String, customerId: String) async throws -> [Account] {
        try await db.raw(Self.accountsQuery(workspaceId: workspaceId, customerId: customerId)).all().map(Self.account)
            .sorted { $0.id < $1.id }
    }

    static let accountColumns = ["workspace_id", "id", "group_id", "traits", "created_at", "updated_at"]

    /// The accounts a customer belongs to (unsorted), from `account_members_by_customer_account` then each account by key.
    /// Filtered by the account's workspace and sorted by its id, SQLite walked every account of the workspace.
    static func accountsQuery(workspaceId: String, customerId: String) -> SQLQueryString {
        """
        SELECT \(unsafeRaw: columns) FROM account_members m CROSS JOIN accounts a
        WHERE m.workspace_id = \(bind: workspaceId) AND m.customer_id = \(bind: customerId)
          AND a.workspace_id = m.workspace_id AND a.id = m.account_id
        """
    }

    func memberCount(workspaceId: String, accountId: String) async throws -> Int {
        try await db.raw("""
            SELECT COUNT(*) AS n FROM account_members WHERE workspace_id = \(bind: workspaceId) AND account_id = \(bind: accountId)
            """).first()?.int("n") ?? 0
    }

    func links(workspaceId: String, customerIds: [String]) async throws -> [CustomerAccountLink] {
        guard !customerIds.isEmpty else { return [] }
        var sql: SQLQueryString = """
            SELECT m.customer_id, a.id, a.name FROM account_members m JOIN accounts a
              ON a.workspace_id = m.workspace_id AND a.id = m.account_id
            WHERE m.workspace_id = \(bind: workspaceId) AND m.customer_id\(unsafeRaw: " ")
            """
        sql.appendInterpolation(isIn: customerIds, postgres: db.isPostgres)
        return try await db.raw(sql).all().map { row in
            CustomerAccountLink(customerId: try row.string("customer_id"), accountId: try row.string("id"),
                                accountName: try row.optionalString("name"))
        }
    }

    static func account(_ row: any SQLRow) throws -> Account {
        Account(id: try row.string("id"), workspaceId: try row.string("workspace_id"), groupId: try row.string("group_id"),
                traits: JSONValue.parse(try row.string("traits"))?.objectValue ?? [:], createdAt: try row.int64("created_at"),
                updatedAt: try row.int64("updated_at"))
    }
}

struct SQLConsentRepository: ConsentRepository {
    let db: any SQLDatabase

    func append(_ record: ConsentRecord) async throws {
        try await db.raw("""
            INSERT INTO consents (workspace_id, id, customer_id, purpose, channel, status, source, recorded_at)
            VALUES (\(bind: record.workspaceId), \(bind: record.id), \(bind: record.customerId), \(bind: record.purpose),
                    \(bind: record.channel), \(bind: record.status.rawValue), \(bind: record.source), \(bind: record.recordedAt))
            """).run()
    }

    func history(workspaceId: String, customerId: String) async throws -> [ConsentRecord] {
        try await db.raw(Self.historyQuery(workspaceId: workspaceId, customerId: customerId)).all()
            .map { try Self.record($0, workspaceId: workspaceId) }
    }

    static let recordColumns = ["id", "customer_id", "purpose", "channel", "status", "source", "recorded_at"]

    /// A customer's consent records, oldest first.
    static func historyQuery(workspaceId: String, customerId: String) -> SQLQueryString {
        """
        SELECT id, customer_id, purpose, channel, status, source, recorded_at FROM consents
        WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: customerId) ORDER BY recorded_at, id
        """
    }

    static func record(_ row: any SQLRow, workspaceId: String) throws -> ConsentRecord {
        ConsentRecord(id: try row.string("id"), workspaceId: workspaceId, customerId: try row.string("customer_id"),
                      purpose: try row.string("purpose"), channel: try row.string("channel"),
                      status: ConsentRecord.Status(rawValue: try row.string("status")) ?? .withdrawn,
                      source: try row.string("source"), recordedAt: try row.int64("recorded_at"))
    }
}
