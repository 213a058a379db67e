import RapportCore
import SQLKit

struct SQLOrderRepository: OrderRepository {
    let db: any SQLDatabase

    static let columns = "workspace_id, id, order_id, customer_id, status, currency, total_minor, occurred_at, refunded_at, source"

    func find(workspaceId: String, orderId: String) async throws -> Order? {
        guard let row = try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM orders WHERE workspace_id = \(bind: workspaceId) AND order_id = \(bind: orderId)
            """).first() else { return nil }
        return try await withLines([try Self.order(row)]).first
    }

    func insert(_ order: Order) async throws {
        try await db.raw("""
            INSERT INTO orders (\(unsafeRaw: Self.columns))
            VALUES (\(bind: order.workspaceId), \(bind: order.id), \(bind: order.orderId), \(bind: order.customerId),
                    \(bind: order.status.rawValue), \(bind: order.currency), \(bind: order.totalMinorUnits), \(bind: order.occurredAt),
                    \(bind: order.refundedAt), \(bind: order.source))
            """).run()
        guard !order.lines.isEmpty else { return }
        var sql = SQLQueryString("""
            INSERT INTO order_lines (workspace_id, order_id, line_no, product_id, sku, name, category, price_minor, quantity) VALUES
            """)
        for (index, line) in order.lines.enumerated() {
            if index > 0 { sql.appendInterpolation(unsafeRaw: ", ") }
            sql.appendInterpolation(unsafeRaw: "(")
            sql.appendInterpolation(binds: [order.workspaceId, order.id, index + 1, line.productId, line.sku, line.name,
                                            line.category, line.priceMinorUnits, line.quantity])
            sql.appendInterpolation(unsafeRaw: ")")
        }
        try await db.raw(sql).run()
    }

    func markRefunded(workspaceId: String, id: String, at: Int64) async throws {
        try await db.raw("""
            UPDATE orders SET status = 'refunded', refunded_at = \(bind: at) WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: id)
            """).run()
    }

    func orders(workspaceId: String, customerId: String, page: PageRequest) async throws -> Page<Order> {
        let found = try await db.page("""
            SELECT \(unsafeRaw: Self.columns) FROM orders WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: customerId)
            """, column: "id", page: page, id: \.id, decode: Self.order)
        return Page(items: try await withLines(found.items), nextCursor: found.nextCursor)
    }

    func stats(workspaceId: String, customerId: String) async throws -> PurchaseStats {
        PurchaseStats(byCurrency: try await db.raw(Self.statsQuery(workspaceId: workspaceId, customerId: customerId)).all()
            .map(Self.currencyTotal))
    }

    static let currencyTotalColumns = ["currency", "n", "revenue", "first_at", "last_at"]

    /// A customer's completed orders, one row per currency.
    static func statsQuery(workspaceId: String, customerId: String) -> SQLQueryString {
        """
        SELECT currency, COUNT(*) AS n, CAST(COALESCE(SUM(total_minor), 0) AS BIGINT) AS revenue, MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at
        FROM orders WHERE workspace_id = \(bind: workspaceId) AND customer_id = \(bind: customerId) AND status = 'completed'
        GROUP BY currency
        """
    }

    static func currencyTotal(_ row: any SQLRow) throws -> PurchaseStats.CurrencyTotal {
        PurchaseStats.CurrencyTotal(currency: try row.string("currency"), orderCount: try row.int("n"),
                                    revenueMinorUnits: try row.int64("revenue"),
                                    firstOrderAt: try row.int64("first_at"), lastOrderAt: try row.int64("last_at"))
    }

    func repeatPurchaseRate(workspaceId: String) async throws -> RepeatPurchaseRate {
        let row = try await db.raw("""
            SELECT COUNT(*) AS purchasers, COALESCE(SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END), 0) AS repeaters FROM (
                SELECT customer_id, COUNT(*) AS n FROM orders
                WHERE workspace_id = \(bind: workspaceId) AND status = 'completed' AND customer_id IS NOT NULL
                GROUP BY customer_id) per_customer
            """).first()
        return RepeatPurchaseRate(purchasers: try row?.int("purchasers") ?? 0, repeatPurchasers: try row?.int("repeaters") ?? 0)
    }

    private func withLines(_ orders: [Order]) async throws -> [Order] {
        guard let first = orders.first else { return [] }
        let rows = try await db.raw("""
            SELECT order_id, line_no, product_id, sku, name, category, price_minor, quantity FROM order_lines
            WHERE workspace_id = \(bind: first.workspaceId) AND order_id \(isIn: orders.map(\.id), postgres: db.isPostgres) ORDER BY order_id, line_no
            """).all()
        var lines: [String: [OrderLine]] = [:]
        for row in rows {
            lines[try row.string("order_id"), default: []].append(OrderLine(
                productId: try row.optionalString("product_id"), sku: try row.optionalString("sku"),
                name: try row.optionalString("name"), category: try row.optionalString("category"),
                priceMinorUnits: try row.int64("price_minor"), quantity: try row.int("quantity")))
        }
        return orders.map { order in
            var order = order
            order.lines = lines[order.id] ?? []
            return order
        }
    }

    static func order(_ row: any SQLRow) throws -> Order {
        Order(id: try row.string("id"), workspaceId: try row.string("workspace_id"), orderId: try row.string("order_id"),
              customerId: try row.optionalString("customer_id"),
              status: Order.Status(rawValue: try row.string("status")) ?? .completed, currency: try row.string("currency"),
              totalMinorUnits: try row.int64("total_minor"), occurredAt: try row.int64("occurred_at"),
              refundedAt: try row.optionalInt64("refunded_at"), source: try row.string("source"), lines: [])
    }
}
