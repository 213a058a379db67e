import Foundation
import Hummingbird
import HummingbirdTesting
import RapportCore
import RapportServer
import Testing

/// Fields the OpenAPI document marks nullable accept `null` as "absent" (schemathesis found that they did not:
/// `JSONValue` is `ExpressibleByNilLiteral`, so `flatMap { $0.isNull ? nil : $0 }` turned `null` back into `.null`).
@Suite("Nullable fields")
struct NullableFieldTests {
    @Test func nullIsAbsentNotAWrongType() {
        #expect(JSONValue.null.nonNull == nil)
        #expect(JSONValue.string("x").nonNull == .string("x"))
        let fields: [String: JSONValue] = ["products": .null]
        #expect(fields["products"]?.nonNull == nil)
        #expect(fields["missing"]?.nonNull == nil)
    }

    @Test func anOrderWithNullProductsIsStored() async throws {
        try await TrackingTests.run { ws, _ in
            let reply = try await ws.http.call(.post, "/api/v1/orders", key: ws.fixture.adminKey, json: [
                "order_id": "o-null", "email": "null@example.com", "products": NSNull(), "total": 12.5, "currency": NSNull(),
            ])
            #expect(reply.status == .created, "\(reply.text)")
            #expect(reply.json["products"] as? [Any] != nil)
            #expect((reply.json["products"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func aMessageWithNullContextIsStored() async throws {
        try await TrackingTests.run { ws, _ in
            let reply = try await ws.http.call(.post, "/v1/track", json: ["anonymousId": "ctx", "event": "Null Context",
                                                                          "context": NSNull()],
                                               headers: TrackingTests.basic(ws.trackKey))
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(try await ws.customers(search: "ctx").count == 1)
        }
    }
}
