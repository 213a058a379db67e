import RapportCore
import SQLKit

extension SQLCustomerRepository {
    /// Everything a profile page shows besides the profile row, in one statement: six scalar subqueries, each the
    /// same query (and index range) as its repository's own read, its rows turned into one JSON text. On PostgreSQL
    /// each statement is a round trip, and the six separate reads made a profile cost four times its timeline.
    func profile(of customer: Customer, traitHistoryLimit: Int) async throws -> CustomerProfile {
        let workspaceId = customer.workspaceId
        let sql = Self.profileQuery(workspaceId: workspaceId, customerId: customer.id, traitHistoryLimit: traitHistoryLimit,
                                    postgres: isPostgres)
        guard let row = try await db.raw(sql).first() else { throw CorruptRowError(table: "customers", column: "profile", value: "no row") }
        func rows(_ column: String, _ columns: [String]) throws -> [JSONArrayRow] {
            try JSONRows.rows(try row.string(column), columns: columns)
        }
        return CustomerProfile(
            customer: customer,
            identifiers: try rows("identifiers", Self.identifierColumns).compactMap(Self.identifier),
            purchases: PurchaseStats(byCurrency: try rows("purchases", SQLOrderRepository.currencyTotalColumns)
                .map(SQLOrderRepository.currencyTotal)),
            accounts: try rows("accounts", SQLAccountRepository.accountColumns).map(SQLAccountRepository.account),
            merges: try rows("merges", Self.mergeColumns).map { try Self.merge($0, workspaceId: workspaceId) },
            consents: try rows("consents", SQLConsentRepository.recordColumns)
                .map { try SQLConsentRepository.record($0, workspaceId: workspaceId) },
            traitHistory: try rows("trait_history", Self.traitChangeColumns).map(Self.traitChange))
    }

    /// The statement behind `profile(of:traitHistoryLimit:)`.
    static func profileQuery(workspaceId: String, customerId: String, traitHistoryLimit: Int, postgres: Bool) -> SQLQueryString {
        var sql = SQLQueryString("SELECT ")
        sql.appendInterpolation(JSONRows.aggregate(identifiersQuery(workspaceId: workspaceId, customerId: customerId),
                                                   columns: identifierColumns, orderBy: "p.kind, p.namespace, p.value",
                                                   postgres: postgres))
        sql.appendInterpolation(unsafeRaw: " AS identifiers, ")
        sql.appendInterpolation(JSONRows.aggregate(SQLOrderRepository.statsQuery(workspaceId: workspaceId, customerId: customerId),
                                                   columns: SQLOrderRepository.currencyTotalColumns, orderBy: "p.currency",
                                                   postgres: postgres))
        sql.appendInterpolation(unsafeRaw: " AS purchases, ")
        sql.appendInterpolation(JSONRows.aggregate(SQLAccountRepository.accountsQuery(workspaceId: workspaceId, customerId: customerId),
                                                   columns: SQLAccountRepository.accountColumns, orderBy: "p.id", postgres: postgres))
        sql.appendInterpolation(unsafeRaw: " AS accounts, ")
        sql.appendInterpolation(JSONRows.aggregate(mergesQuery(workspaceId: workspaceId, customerId: customerId),
                                                   columns: mergeColumns, orderBy: "p.id", postgres: postgres))
        sql.appendInterpolation(unsafeRaw: " AS merges, ")
        sql.appendInterpolation(JSONRows.aggregate(SQLConsentRepository.historyQuery(workspaceId: workspaceId, customerId: customerId),
                                                   columns: SQLConsentRepository.recordColumns, orderBy: "p.recorded_at, p.id",
                                                   postgres: postgres))
        sql.appendInterpolation(unsafeRaw: " AS consents, ")
        sql.appendInterpolation(JSONRows.aggregate(traitHistoryQuery(workspaceId: workspaceId, customerId: customerId, limit: traitHistoryLimit),
                                                   columns: traitChangeColumns, orderBy: "p.id DESC", postgres: postgres))
        sql.appendInterpolation(unsafeRaw: " AS trait_history")
        return sql
    }
}
