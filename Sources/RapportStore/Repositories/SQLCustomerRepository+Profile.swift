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

    /// The statement behind `profile(of:traitHistoryLimit:)`: one column per list, named as `profile` reads it.
    static func profileQuery(workspaceId: String, customerId: String, traitHistoryLimit: Int, postgres: Bool) -> SQLQueryString {
        let (w, c) = (workspaceId, customerId)
        let lists: [(name: String, query: SQLQueryString, columns: [String], orderBy: String)] = [
            ("identifiers", identifiersQuery(workspaceId: w, customerId: c), identifierColumns, "p.kind, p.namespace, p.value"),
            ("purchases", SQLOrderRepository.statsQuery(workspaceId: w, customerId: c), SQLOrderRepository.currencyTotalColumns,
             "p.currency"),
            ("accounts", SQLAccountRepository.accountsQuery(workspaceId: w, customerId: c), SQLAccountRepository.accountColumns, "p.id"),
            ("merges", mergesQuery(workspaceId: w, customerId: c), mergeColumns, "p.id"),
            ("consents", SQLConsentRepository.historyQuery(workspaceId: w, customerId: c), SQLConsentRepository.recordColumns,
             "p.recorded_at, p.id"),
            ("trait_history", traitHistoryQuery(workspaceId: w, customerId: c, limit: traitHistoryLimit), traitChangeColumns, "p.id DESC"),
        ]
        var sql = SQLQueryString("SELECT ")
        for (offset, list) in lists.enumerated() {
            if offset > 0 { sql.appendInterpolation(unsafeRaw: ", ") }
            sql.appendInterpolation(JSONRows.aggregate(list.query, columns: list.columns, orderBy: list.orderBy, postgres: postgres))
            sql.appendInterpolation(unsafeRaw: " AS \(list.name)")
        }
        return sql
    }
}
