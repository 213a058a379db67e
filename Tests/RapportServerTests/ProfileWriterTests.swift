import Foundation
import Hummingbird
import HummingbirdTesting
import RapportCore
import RapportRuntime
import RapportServer
import Testing

/// Writers that are not tracking (REST orders, CSV imports) write profiles through the profile writer with their own
/// shapes, and say where the data came from: `api`, `import`.
@Suite("Profile writer: REST orders and imports")
struct ProfileWriterTests {
    static func profile(_ ws: TrackingTests.Workspace, _ id: String) async throws -> [String: Any] {
        try await ws.http.get("/api/v1/customers/\(id)", key: ws.fixture.adminKey).json
    }

    static func identifiers(_ profile: [String: Any]) -> [String] {
        (profile["identifiers"] as? [[String: Any]] ?? []).map { "\($0["type"] as? String ?? "")=\($0["value"] as? String ?? "")" }
    }

    @Test func restOrderForAnUnknownEmailCreatesTheProfileWithAnOrderFromTheApi() async throws {
        try await TrackingTests.run { ws, _ in
            let reply = try await ws.http.call(.post, "/api/v1/orders", key: ws.fixture.adminKey, json: [
                "order_id": "R-1", "email": "nova@example.com", "currency": "EUR", "occurred_at": "2026-01-10T10:00:00Z",
                "products": [["product_id": "p1", "name": "Lamp", "price": 12.5, "quantity": 2]]])
            #expect(reply.status == .created, "\(reply.text)")
            #expect(reply.string("source") == "api")
            let customerId = try #require(reply.json["customer_id"] as? String)
            let profile = try await Self.profile(ws, customerId)
            #expect(Self.identifiers(profile) == ["email=nova@example.com"])
            #expect(profile["first_seen_at"] as? String == "2026-01-10T10:00:00.000Z")
            #expect((profile["trait_history"] as? [Any])?.isEmpty == true, "an order names no traits")
            let timeline = try await ws.timeline(customerId).data
            #expect(timeline.map { $0["type"] as? String } == ["order"])
            #expect(timeline.first?["name"] as? String == "R-1")
            #expect(try await ws.customers(search: "nova").map { $0["id"] as? String } == [customerId])
            let orders = try await ws.http.get("/api/v1/customers/\(customerId)/orders", key: ws.fixture.adminKey).data
            #expect(orders.map { $0["source"] as? String } == ["api"])
            #expect(orders.first?["total"] as? Double == 25)
        }
    }

    @Test func restOrderForAKnownUserJoinsTheirProfile() async throws {
        try await TrackingTests.run { ws, _ in
            try await CustomerProfileTests.send(ws, [["type": "identify", "userId": "kim", "traits": ["email": "kim@example.com"]]])
            let reply = try await ws.http.call(.post, "/api/v1/orders", key: ws.fixture.adminKey, json: [
                "order_id": "R-2", "user_id": "kim", "email": "kim@example.com", "total": 9, "currency": "USD"])
            #expect(reply.status == .created, "\(reply.text)")
            let known = try #require(try await ws.customers(search: "kim@example.com").first?["id"] as? String)
            #expect(reply.json["customer_id"] as? String == known)
            let kinds = try await ws.timeline(known).data.compactMap { $0["type"] as? String }
            #expect(kinds.sorted() == ["identify", "order"])
        }
    }

    @Test func csvRowsForUnknownPeopleCreateProfilesMarkedAsImported() async throws {
        try await TrackingTests.run { ws, _ in
            let customers = try await SegmentAndImportTests.importCSV(ws, type: "customers", """
                email,user_id,plan,phone
                ivy@example.com,u-ivy,pro,+47 123
                """)
            #expect(customers.json["rows_imported"] as? Int == 1, "\(customers.text)")
            let ivy = try #require(try await ws.customers(search: "ivy@example.com").first?["id"] as? String)
            let profile = try await Self.profile(ws, ivy)
            #expect(Set(Self.identifiers(profile)) == ["user_id=u-ivy", "email=ivy@example.com", "phone=+47123"])
            #expect((profile["traits"] as? [String: Any])?["plan"] as? String == "pro")
            let sources = Set((profile["trait_history"] as? [[String: Any]] ?? []).compactMap { $0["source"] as? String })
            #expect(sources == ["import"])
            #expect(try await ws.timeline(ivy).data.map { $0["type"] as? String } == ["traits_updated"])

            let orders = try await SegmentAndImportTests.importCSV(ws, type: "orders", """
                order_id,email,total,currency,occurred_at
                I-1,zoe@example.com,15,EUR,2026-03-01T10:00:00Z
                """)
            #expect(orders.json["rows_imported"] as? Int == 1, "\(orders.text)")
            let zoe = try #require(try await ws.customers(search: "zoe@example.com").first?["id"] as? String)
            #expect(Self.identifiers(try await Self.profile(ws, zoe)) == ["email=zoe@example.com"])
            let timeline = try await ws.timeline(zoe).data
            #expect(timeline.map { $0["type"] as? String } == ["order"])
            #expect(timeline.first?["name"] as? String == "I-1")
            let stored = try await ws.http.get("/api/v1/customers/\(zoe)/orders", key: ws.fixture.adminKey).data
            #expect(stored.map { $0["source"] as? String } == ["import"])
        }
    }
}
