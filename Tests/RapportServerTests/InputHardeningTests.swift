import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import RapportCore
import RapportServer
import Testing

/// Hostile and careless input at every boundary (issue 9, points 1–4): the same rule on SQLite and PostgreSQL,
/// each bad value refused with the field named, and one bad message never failing its batch.
@Suite("Input hardening at the boundaries")
struct InputHardeningTests {
    typealias Workspace = TrackingTests.Workspace

    static func run(_ body: @escaping @Sendable (Workspace, AppServices) async throws -> Void) async throws {
        try await TrackingTests.run(body)
    }

    /// Sends `bytes` as they are (not necessarily valid UTF-8 or valid JSON).
    static func send(_ ws: Workspace, _ uri: String, bytes: [UInt8], headers: HTTPFields,
                     method: HTTPRequest.Method = .post) async throws -> TestHTTP.Reply {
        let response = try await ws.http.client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(bytes: bytes))
        return TestHTTP.Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    static func error(_ reply: TestHTTP.Reply) -> (code: String?, field: String?) {
        let error = reply.json["error"] as? [String: Any]
        return (error?["code"] as? String, (error?["details"] as? [String: Any])?["field"] as? String)
    }

    /// The profile whose email is `email`.
    static func customer(_ ws: Workspace, email: String) async throws -> [String: Any]? {
        let list = try await ws.http.get("/api/v1/customers?email=\(email)", key: ws.fixture.adminKey)
        guard let id = list.data.first?["id"] as? String else { return nil }
        return try await ws.http.get("/api/v1/customers/\(id)", key: ws.fixture.adminKey).json
    }

    // MARK: - Point 3: impossible dates

    @Test(arguments: ["2026-02-31T00:00:00Z", "2026-11-25T12:00:00+99:99", "2025-02-29", "2026-04-31T10:00:00Z"])
    func impossibleDatesAreRefusedWithTheFieldNamed(date: String) async throws {
        try await Self.run { ws, _ in
            let headers = TrackingTests.basic(ws.trackKey)
            let single = try await ws.http.call(.post, "/v1/track", json: ["userId": "u", "event": "E", "timestamp": date],
                                                headers: headers)
            #expect(single.status == .badRequest, "\(single.text)")
            #expect(Self.error(single) == ("invalid_message", "timestamp"))

            let batch = try await ws.http.call(.post, "/v1/batch", json: ["sentAt": date, "batch": [["type": "track", "userId": "u", "event": "E"]]],
                                               headers: headers)
            #expect(batch.status == .badRequest)
            #expect(Self.error(batch) == ("invalid_batch", "sentAt"))

            let mixed = try await ws.batch([["type": "track", "userId": "u", "event": "Good"],
                                            ["type": "track", "userId": "u", "event": "Bad", "originalTimestamp": date]])
            #expect(mixed.status == .ok)
            #expect(mixed.json["stored"] as? Int == 1)
            let rejected = try #require((mixed.json["rejected"] as? [[String: Any]])?.first)
            #expect(rejected["index"] as? Int == 1)
            #expect(rejected["field"] as? String == "originalTimestamp")

            let order = try await ws.http.call(.post, "/api/v1/orders", key: ws.fixture.adminKey,
                                               json: ["order_id": "o-1", "email": "a@example.com", "occurred_at": date])
            #expect(order.status == .unprocessableContent)
            #expect(Self.error(order) == ("validation_failed", "occurred_at"))

            let csv = "order_id,email,occurred_at\nA,a@example.com,\(date)\nB,b@example.com,2026-01-01\n"
            let imported = try await ws.http.call(.post, "/api/v1/imports?type=orders", key: ws.fixture.adminKey, raw: csv,
                                                  headers: [.contentType: "text/csv"])
            #expect(imported.json["rows_imported"] as? Int == 1)
            #expect((imported.json["rejections"] as? [[String: Any]])?.first?["field"] as? String == "occurred_at")
        }
    }
}
