import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RapportCore
import RapportServer
import Testing

/// Amounts go in and come out as the decimals people wrote, whatever the path (REST, tracking, CSV), and are added up
/// as integers of the currency's minor unit.
@Suite("Money in minor units, through REST, tracking and CSV")
struct MoneyRoundTripTests {
    /// (currency, the amount as sent and as it must come back).
    static let amounts = [("EUR", "19.99"), ("JPY", "1234"), ("KWD", "1.234")]

    static func json(_ ws: TrackingTests.Workspace, _ method: HTTPRequest.Method, _ uri: String, _ body: String) async throws
        -> TestHTTP.Reply {
        try await ws.http.call(method, uri, key: ws.fixture.adminKey, raw: body, headers: [.contentType: "application/json"])
    }

    /// Whether JSON `text` has `"key":number` with exactly these digits (a field is followed by `,` or `}`).
    static func has(_ text: String, _ key: String, _ number: String) -> Bool {
        text.contains("\"\(key)\":\(number),") || text.contains("\"\(key)\":\(number)}")
    }

    /// The customer's orders and profile show each amount with its currency's decimals.
    static func expectAmounts(_ ws: TrackingTests.Workspace, customerId: String, orderPrefix: String) async throws {
        let orders = try await ws.http.get("/api/v1/customers/\(customerId)/orders", key: ws.fixture.adminKey)
        #expect(orders.status == .ok)
        for (index, (currency, text)) in amounts.enumerated() {
            let order = try #require(orders.data.first { $0["order_id"] as? String == "\(orderPrefix)\(index)" }, "\(orders.text)")
            #expect(order["currency"] as? String == currency)
            #expect(Self.has(orders.text, "total", "\(text)"), "\(currency): \(orders.text)")
            #expect(Self.has(orders.text, "price", "\(text)"), "\(currency): \(orders.text)")
        }
        let profile = try await ws.http.get("/api/v1/customers/\(customerId)", key: ws.fixture.adminKey)
        for (currency, text) in amounts {
            #expect(profile.text.contains("\"currency\":\"\(currency)\",\"order_count\":1,\"revenue\":\(text)}")
                    || profile.text.contains("\"average_order_value\":\(text),\"currency\":\"\(currency)\""), "\(profile.text)")
        }
    }

    @Test func amountsRoundTripThroughTheRestApi() async throws {
        try await TrackingTests.run { ws, _ in
            var customerId = ""
            for (index, (currency, text)) in Self.amounts.enumerated() {
                let reply = try await Self.json(ws, .post, "/api/v1/orders", """
                    {"order_id": "R-\(index)", "email": "rest@example.com", "currency": "\(currency)", "total": \(text),
                     "products": [{"product_id": "p", "price": \(text), "quantity": 1}]}
                    """)
                #expect(reply.status == .created, "\(reply.text)")
                #expect(Self.has(reply.text, "total", "\(text)"), "\(reply.text)")
                customerId = try #require(reply.string("customer_id"))
            }
            try await Self.expectAmounts(ws, customerId: customerId, orderPrefix: "R-")
        }
    }

    @Test func amountsRoundTripThroughTracking() async throws {
        try await TrackingTests.run { ws, _ in
            let messages = Self.amounts.enumerated().map { index, amount in
                """
                {"type": "track", "userId": "t-1", "event": "Order Completed", "properties": {"order_id": "T-\(index)",
                 "currency": "\(amount.0)", "total": \(amount.1), "products": [{"product_id": "p", "price": \(amount.1)}]}}
                """
            }
            let reply = try await ws.http.call(.post, "/v1/batch", raw: "{\"batch\": [\(messages.joined(separator: ","))]}",
                                               headers: TrackingTests.basic(ws.trackKey))
            #expect(reply.status == .ok, "\(reply.text)")
            let customerId = try #require(try await ws.customers(search: "t").first?["id"] as? String)
            try await Self.expectAmounts(ws, customerId: customerId, orderPrefix: "T-")
            // The timeline's `Order Completed` entry carries the order's properties with the same decimals.
            let timeline = try await ws.timeline(customerId, "?type=order")
            for (_, text) in Self.amounts { #expect(Self.has(timeline.text, "total", "\(text)"), "\(timeline.text)") }
            // The profile page shows each line with its currency's decimals.
            var browser = BrowserSessionTests.Browser(http: ws.http)
            try await browser.signIn()
            let page = try await browser.request(.get, "/customers/\(customerId)")
            for (currency, text) in Self.amounts { #expect(page.text.contains("1 × p at \(text) \(currency)"), "\(currency)") }
        }
    }

    @Test func amountsRoundTripThroughCsvImport() async throws {
        try await TrackingTests.run { ws, _ in
            let rows = Self.amounts.enumerated().map { index, amount in
                "C-\(index),csv@example.com,\(amount.1),\(amount.0),2026-01-0\(index + 1),p,Thing,\(amount.1),1"
            }
            let csv = "order_id,email,total,currency,occurred_at,product_id,product_name,price,quantity\n"
                + rows.joined(separator: "\n") + "\n"
            let reply = try await SegmentAndImportTests.importCSV(ws, type: "orders", csv)
            #expect(reply.json["rows_imported"] as? Int == 3, "\(reply.text)")
            let customerId = try #require(try await ws.customers(search: "csv@example.com").first?["id"] as? String)
            try await Self.expectAmounts(ws, customerId: customerId, orderPrefix: "C-")
        }
    }

    /// More decimals than the currency has are rounded half to even (the documented rule), on every path.
    @Test func extraDecimalsAreRoundedHalfToEven() async throws {
        try await TrackingTests.run { ws, _ in
            let rest = try await Self.json(ws, .post, "/api/v1/orders", """
                {"order_id": "H-1", "email": "half@example.com", "currency": "EUR", "total": 0.125,
                 "products": [{"price": 19.999, "quantity": 1}, {"price": 0.135, "quantity": 2}]}
                """)
            #expect(rest.status == .created, "\(rest.text)")
            #expect(Self.has(rest.text, "total", "0.12"), "\(rest.text)")
            #expect(Self.has(rest.text, "price", "20") && Self.has(rest.text, "price", "0.14"), "\(rest.text)")
            let yen = try await Self.json(ws, .post, "/api/v1/orders", """
                {"order_id": "H-2", "email": "half@example.com", "currency": "JPY", "products": [{"price": 2.5, "quantity": 3}]}
                """)
            #expect(Self.has(yen.text, "total", "6"), "2.5 JPY is 2 (even); three of them 6: \(yen.text)")
            let tracked = try await ws.http.call(.post, "/v1/batch", raw: """
                {"batch": [{"type": "track", "userId": "h-2", "event": "Order Completed",
                            "properties": {"order_id": "H-3", "currency": "KWD", "total": "1.2345"}}]}
                """, headers: TrackingTests.basic(ws.trackKey))
            #expect(tracked.status == .ok)
            let order = try await ws.http.get("/api/v1/customers/\(try #require(try await ws.customers(search: "h-2").first?["id"] as? String))/orders",
                                              key: ws.fixture.adminKey)
            #expect(Self.has(order.text, "total", "1.234"), "\(order.text)")
        }
    }

    /// Amounts beyond 10^12 units (or not numbers) are refused with a 422 naming the field, never a 500.
    @Test func amountsOutOfRangeAreRefusedNamingTheField() async throws {
        try await TrackingTests.run { ws, _ in
            for (body, field) in [
                (#"{"order_id": "X-1", "email": "x@example.com", "total": 1000000000001}"#, "total"),
                (#"{"order_id": "X-2", "email": "x@example.com", "total": 1e300}"#, "total"),
                (#"{"order_id": "X-3", "email": "x@example.com", "total": "19.99"}"#, "total"),
                (#"{"order_id": "X-4", "email": "x@example.com", "products": [{"price": -0.01}]}"#, "products[0].price"),
                (#"{"order_id": "X-5", "email": "x@example.com", "currency": "CLF", "products": [{"price": 1000000000000, "quantity": 1000000}]}"#,
                 "products[0].price"),
            ] {
                let reply = try await Self.json(ws, .post, "/api/v1/orders", body)
                #expect(reply.status == .unprocessableContent, "\(body): \(reply.text)")
                #expect(((reply.json["error"] as? [String: Any])?["details"] as? [String: Any])?["field"] as? String == field,
                        "\(reply.text)")
            }
        }
    }

    /// Ten orders of 0.10 make a revenue of exactly 1 and an average of exactly 0.1 (as floats, 0.9999999999999999).
    @Test func revenueOfManyTenthsIsExact() async throws {
        try await TrackingTests.run { ws, _ in
            let messages = (0..<10).map { index in
                """
                {"type": "track", "userId": "dime", "event": "Order Completed",
                 "properties": {"order_id": "D-\(index)", "currency": "EUR", "total": 0.1}}
                """
            }
            let reply = try await ws.http.call(.post, "/v1/batch", raw: "{\"batch\": [\(messages.joined(separator: ","))]}",
                                               headers: TrackingTests.basic(ws.trackKey))
            #expect(reply.status == .ok)
            let id = try #require(try await ws.customers(search: "dime").first?["id"] as? String)
            let profile = try await ws.http.get("/api/v1/customers/\(id)", key: ws.fixture.adminKey)
            let purchases = try #require(profile.json["purchases"] as? [String: Any])
            #expect(purchases["revenue"] as? Double == 1)
            #expect(purchases["average_order_value"] as? Double == 0.1)
            #expect(Self.has(profile.text, "revenue", "1"), "\(profile.text)")
        }
    }
}
