import Foundation
import RapportCore
@testable import RapportStore
import SQLKit
import Testing

/// Migration 0008 turns the float amounts of orders and lines stored before it into minor units.
@Suite("Migration to money in minor units")
struct MoneyMigrationTests {
    @Test func floatAmountsBecomeMinorUnitsRoundedHalfToEven() async throws {
        try await TestApp.withDatabase(migrations: Migrations.all.filter { $0.version < 8 }) { database in
            // Rows as the schema before 0008 held them: DOUBLE PRECISION amounts.
            let orders: [(id: String, currency: String, total: Double)] = [
                ("o-eur", "EUR", 19.99), ("o-jpy", "JPY", 1234), ("o-kwd", "KWD", 1.234), ("o-half", "EUR", 0.125),
                ("o-up", "EUR", 1.015), ("o-clf", "CLF", 1.2345),
            ]
            try await database.write { db in
                for order in orders {
                    try await db.raw("""
                        INSERT INTO orders (workspace_id, id, order_id, customer_id, status, currency, total, occurred_at, source)
                        VALUES ('w', \(bind: order.id), \(bind: "shop-" + order.id), NULL, 'completed', \(bind: order.currency),
                                \(bind: order.total), 0, 'api')
                        """).run()
                    try await db.raw("""
                        INSERT INTO order_lines (workspace_id, order_id, line_no, price, quantity)
                        VALUES ('w', \(bind: order.id), 1, \(bind: order.total), 1)
                        """).run()
                }
            }
            let applied = try await Migrator(database: database, migrations: Migrations.all.filter { $0.version <= 8 }).migrate()
            #expect(applied == ["0008_money_minor_units"])
            let expected: [String: Int64] = ["o-eur": 1999, "o-jpy": 1234, "o-kwd": 1234, "o-half": 12, "o-up": 102, "o-clf": 12345]
            let store = SQLDataStore(database: database)
            for (id, minor) in expected {
                let order = try #require(try await store.read { try await $0.orders.find(workspaceId: "w", orderId: "shop-" + id) })
                #expect(order.totalMinorUnits == minor, "\(id)")
                #expect(order.lines.map(\.priceMinorUnits) == [minor], "\(id)")
            }
            // The float columns are gone.
            await #expect(throws: (any Error).self) {
                try await database.read { try await $0.raw("SELECT total FROM orders").all() }
            }
            await #expect(throws: (any Error).self) {
                try await database.read { try await $0.raw("SELECT price FROM order_lines").all() }
            }
        }
    }
}
