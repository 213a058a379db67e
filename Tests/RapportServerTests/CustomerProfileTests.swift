import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import RapportCore
import RapportServer
import Testing

@Suite("Customer profiles, consent, orders, GDPR")
struct CustomerProfileTests {
    static func send(_ ws: TrackingTests.Workspace, _ messages: [[String: Any]]) async throws {
        let reply = try await ws.batch(messages)
        #expect(reply.status == .ok, "\(reply.text)")
    }

    @Test func consentFromTraitsAndTheApiDecidesContactability() async throws {
        try await TrackingTests.run { ws, _ in
            try await Self.send(ws, [["type": "identify", "userId": "c-1", "traits": [
                "email": "cat@example.com", "consent": ["marketing_email": true, "sms": ["sms": false]]]]])
            let id = try #require(try await ws.customers(search: "cat").first?["id"] as? String)
            let key = ws.fixture.adminKey
            func may(_ purpose: String, _ channel: String) async throws -> Bool? {
                try await ws.http.get("/api/v1/customers/\(id)/contactability?purpose=\(purpose)&channel=\(channel)", key: key)
                    .json["allowed"] as? Bool
            }
            #expect(try await may("marketing_email", "email") == true)
            #expect(try await may("sms", "sms") == false)
            #expect(try await may("sales_calls", "phone") == false, "opt-in purpose without a grant")
            #expect(try await may("surveys", "email") == true, "opt-out purpose without a record")
            #expect(try await ws.http.get("/api/v1/customers/\(id)/contactability?purpose=Marketing&channel=email", key: key).status
                    == .badRequest, "purposes are lower-case names")
            let badChannel = try await ws.http.get("/api/v1/customers/\(id)/contactability?purpose=sms&channel=pigeon", key: key)
            #expect(badChannel.status == .badRequest)
            #expect(try await ws.timeline(id, "?type=,").status == .badRequest)
            let withdrawn = try await ws.http.call(.post, "/api/v1/customers/\(id)/consents", key: key,
                                                   json: ["purpose": "marketing_email", "channel": "email", "status": "withdrawn",
                                                          "source": "unsubscribe link"])
            #expect(withdrawn.status == .created)
            #expect(try await may("marketing_email", "email") == false)
            #expect(try await may("marketing_email", "sms") == true, "the grant for any channel still holds elsewhere")
            let consents = try await ws.http.get("/api/v1/customers/\(id)/consents", key: key)
            #expect((consents.json["history"] as? [Any])?.count == 3)
            #expect((consents.json["current"] as? [[String: Any]])?.count == 3)
            let timeline = try await ws.timeline(id, "?type=consent")
            #expect(timeline.data.count == 3)
            let bad = try await ws.http.call(.post, "/api/v1/customers/\(id)/consents", key: key,
                                             json: ["purpose": "marketing_email", "channel": "pigeon", "status": "granted"])
            #expect(bad.status == .unprocessableContent)
        }
    }

    @Test func ordersFromApiAndEventsGiveStatsAndRepeatRate() async throws {
        try await TrackingTests.run { ws, _ in
            let key = ws.fixture.adminKey
            let first = try await ws.http.call(.post, "/api/v1/orders", key: key, json: [
                "order_id": "A-1", "email": "dee@example.com", "currency": "USD", "occurred_at": "2026-01-10T10:00:00Z",
                "products": [["product_id": "p1", "name": "Lamp", "price": 40, "quantity": 2]]])
            #expect(first.status == .created, "\(first.text)")
            #expect(first.json["total"] as? Double == 80)
            let customerId = try #require(first.json["customer_id"] as? String)
            let again = try await ws.http.call(.post, "/api/v1/orders", key: key, json: ["order_id": "A-1", "email": "dee@example.com"])
            #expect(again.status == .conflict)
            try await Self.send(ws, [
                ["type": "identify", "userId": "dee", "traits": ["email": "dee@example.com"]],
                ["type": "track", "userId": "dee", "event": "Order Completed", "properties": ["order_id": "A-2", "total": 20]],
                ["type": "track", "userId": "dee", "event": "Order Completed", "properties": ["order_id": "A-3", "total": 5]],
                ["type": "track", "userId": "dee", "event": "Order Refunded", "properties": ["order_id": "A-3"]],
                ["type": "track", "userId": "eve", "event": "Order Completed", "properties": ["order_id": "B-1", "revenue": 9.5]],
            ])
            let profile = try await ws.http.get("/api/v1/customers/\(customerId)", key: key)
            let purchases = try #require(profile.json["purchases"] as? [String: Any])
            #expect(purchases["order_count"] as? Int == 2)
            #expect(purchases["revenue"] as? Double == 100)
            #expect(purchases["average_order_value"] as? Double == 50)
            #expect(purchases["repeat_purchaser"] as? Bool == true)
            #expect(purchases["first_order_at"] as? String == "2026-01-10T10:00:00.000Z")
            let orders = try await ws.http.get("/api/v1/customers/\(customerId)/orders", key: key)
            #expect(orders.data.count == 3)
            #expect(orders.data.first { $0["order_id"] as? String == "A-3" }?["status"] as? String == "refunded")
            let stats = try await ws.http.get("/api/v1/stats/purchases", key: key)
            #expect(stats.json["purchasers"] as? Int == 2)
            #expect(stats.json["repeat_purchasers"] as? Int == 1)
            #expect(stats.json["repeat_purchase_rate"] as? Double == 0.5)
            let interval = try #require(stats.json["confidence_interval"] as? [String: Any])
            #expect(abs((interval["low"] as? Double ?? 0) - 0.0945) < 0.0001)
            #expect(abs((interval["high"] as? Double ?? 0) - 0.9055) < 0.0001)
            #expect(interval["method"] as? String == "wilson" && interval["level"] as? Double == 0.95)
            #expect(purchases["currency"] as? String == "USD")
            // Amounts in another currency are never added to these: they get their own totals.
            try await Self.send(ws, [
                ["type": "track", "userId": "dee", "event": "Order Completed", "properties": ["order_id": "E-1", "total": 70, "currency": "eur"]],
            ])
            let mixed = try #require(try await ws.http.get("/api/v1/customers/\(customerId)", key: key).json["purchases"] as? [String: Any])
            #expect(mixed["order_count"] as? Int == 3)
            #expect(mixed["currency"] as? String == "USD")
            #expect(mixed["revenue"] as? Double == 100)
            #expect(mixed["average_order_value"] as? Double == 50)
            let byCurrency = try #require(mixed["by_currency"] as? [[String: Any]])
            #expect(byCurrency.map { $0["currency"] as? String } == ["USD", "EUR"])
            #expect(byCurrency.map { $0["revenue"] as? Double } == [100, 70])
            #expect(byCurrency.map { $0["order_count"] as? Int } == [2, 1])
            let invalid = try await ws.http.call(.post, "/api/v1/orders", key: key, json: ["order_id": "C-1", "email": "x@example.com",
                                                                                         "currency": "dollars"])
            #expect(invalid.status == .unprocessableContent)
        }
    }

    @Test func exportHasEverythingAndEraseRemovesThePerson() async throws {
        try await TrackingTests.run { ws, _ in
            try await Self.send(ws, [
                ["type": "identify", "userId": "gdpr-1", "traits": ["email": "gia@example.com", "name": "Gia"]],
                ["type": "page", "userId": "gdpr-1", "name": "Home"],
                ["type": "track", "userId": "gdpr-1", "event": "Order Completed", "properties": ["order_id": "G-1", "total": 10]],
                ["type": "group", "userId": "gdpr-1", "groupId": "acme-co", "traits": ["name": "Acme Co"]],
            ])
            let key = ws.fixture.adminKey
            let id = try #require(try await ws.customers(search: "gia").first?["id"] as? String)
            let export = try await ws.http.get("/api/v1/customers/\(id)/export", key: key)
            #expect(export.status == .ok)
            #expect((export.json["timeline"] as? [Any])?.count == 4)
            #expect((export.json["orders"] as? [Any])?.count == 1)
            #expect((export.json["accounts"] as? [[String: Any]])?.first?["group_id"] as? String == "acme-co")
            #expect(((export.json["customer"] as? [String: Any])?["traits"] as? [String: Any])?["name"] as? String == "Gia")
            let accounts = try await ws.http.get("/api/v1/accounts", key: key)
            #expect(accounts.data.first?["name"] as? String == "Acme Co")

            let agent = try await ws.fixture.key(ws.http.services, scope: .write)
            #expect(try await ws.http.call(.delete, "/api/v1/customers/\(id)", key: agent).status == .forbidden)
            #expect(try await ws.http.call(.delete, "/api/v1/customers/\(id)", key: key).status == .noContent)
            #expect(try await ws.http.get("/api/v1/customers/\(id)", key: key).status == .notFound)
            #expect(try await ws.customers(search: "gia").isEmpty)
            let stats = try await ws.http.get("/api/v1/stats/purchases", key: key)
            #expect(stats.json["purchasers"] as? Int == 0, "the order stays, detached from the person")
            let log = try await ws.http.get("/api/v1/audit-log?action=customer.erased", key: key)
            #expect(log.data.first?["target_id"] as? String == id)
            // A new event with the same user id starts a new, empty profile.
            try await Self.send(ws, [["type": "track", "userId": "gdpr-1", "event": "Came Back"]])
            let fresh = try await ws.http.get("/api/v1/customers", key: key).data
            #expect(fresh.count == 1)
            #expect(fresh.first?["email"] is NSNull)
        }
    }

    @Test func manualCreatePatchAndMerge() async throws {
        try await TrackingTests.run { ws, _ in
            let key = ws.fixture.adminKey
            let a = try await ws.http.call(.post, "/api/v1/customers", key: key, json: [
                "traits": ["email": "hal@example.com", "name": "Hal"],
                "identifiers": [["type": "external", "namespace": "stripe", "value": "cus_1"]]])
            #expect(a.status == .created, "\(a.text)")
            let dup = try await ws.http.call(.post, "/api/v1/customers", key: key, json: ["traits": ["email": "HAL@example.com"]])
            #expect(dup.status == .conflict)
            let b = try await ws.http.call(.post, "/api/v1/customers", key: key, json: ["traits": ["name": "Hal B", "tier": "gold"]])
            let aId = try #require(a.string("id")), bId = try #require(b.string("id"))
            let patched = try await ws.http.call(.patch, "/api/v1/customers/\(bId)", key: key, json: ["traits": ["tier": "platinum", "name": nil]])
            #expect((patched.json["traits"] as? [String: Any])?["tier"] as? String == "platinum")
            #expect((patched.json["traits"] as? [String: Any])?["name"] == nil)
            let merged = try await ws.http.call(.post, "/api/v1/customers/\(bId)/merge", key: key, json: ["customer_id": aId])
            #expect(merged.status == .ok)
            #expect(merged.string("id") == aId, "the older profile survives")
            let traits = try #require(merged.json["traits"] as? [String: Any])
            #expect(traits["tier"] as? String == "platinum")
            #expect(traits["email"] as? String == "hal@example.com")
            #expect(try await ws.http.get("/api/v1/customers", key: key).data.count == 1)
            #expect(try await ws.customers(search: "cus_1").count == 1)
        }
    }
}
