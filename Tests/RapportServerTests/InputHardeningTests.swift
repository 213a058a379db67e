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

    // MARK: - Point 2: clock-skew correction is bounded

    @Test func skewCorrectionNeverStoresADateOutsideTheCalendar() async throws {
        try await Self.run { ws, _ in
            let before = Date().millisSince1970
            let reply = try await ws.batch([
                // Corrected: received − (0001 − 9999) would be year 12025; neither time is plausible → received.
                ["type": "identify", "userId": "far-future", "traits": ["email": "future@example.com"],
                 "timestamp": "9999-12-31T00:00:00Z", "sentAt": "0001-01-01T00:00:00Z"],
                // The other way: year −7973.
                ["type": "identify", "userId": "far-past", "traits": ["email": "past@example.com"],
                 "timestamp": "0001-01-01T00:00:00Z", "sentAt": "9999-12-31T00:00:00Z"],
                // A stated time in range with a broken sentAt keeps the stated time.
                ["type": "identify", "userId": "broken-sent", "traits": ["email": "stated@example.com"],
                 "timestamp": "2026-01-02T03:04:05Z", "sentAt": "0001-01-01T00:00:00Z"],
                // No sentAt, and a timestamp of year 9999: received.
                ["type": "track", "userId": "no-sent", "event": "Opened", "traits": ["email": "nosent@example.com"],
                 "context": ["traits": ["email": "nosent@example.com"]], "timestamp": "9999-01-01T00:00:00Z"],
            ])
            let after = Date().millisSince1970
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["stored"] as? Int == 4)
            for email in ["future@example.com", "past@example.com", "nosent@example.com"] {
                let profile = try #require(try await Self.customer(ws, email: email), "\(email)")
                for field in ["first_seen_at", "last_seen_at"] {
                    let text = try #require(profile[field] as? String)
                    let millis = try #require(ISO8601.millis(text), "\(email) \(field) = \(text) is not a valid date")
                    #expect((before...after).contains(millis), "\(email) \(field) = \(text)")
                }
                let timeline = try await ws.timeline(try #require(profile["id"] as? String))
                for entry in timeline.data {
                    let text = try #require(entry["occurred_at"] as? String)
                    #expect(ISO8601.millis(text).map { (before...after).contains($0) } == true, "\(email) occurred_at = \(text)")
                }
            }
            let stated = try #require(try await Self.customer(ws, email: "stated@example.com"))
            #expect(stated["first_seen_at"] as? String == "2026-01-02T03:04:05.000Z")
        }
    }

    @Test func ordersAndImportsOutsideThePlausibleRangeAreRefusedWithTheField() async throws {
        try await Self.run { ws, _ in
            let key = ws.fixture.adminKey
            for date in ["9999-12-31T00:00:00Z", "0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z"] {
                let order = try await ws.http.call(.post, "/api/v1/orders", key: key,
                                                   json: ["order_id": "o-\(date)", "email": "a@example.com", "occurred_at": date])
                #expect(order.status == .unprocessableContent, "\(date): \(order.text)")
                #expect(Self.error(order).field == "occurred_at")
            }
            let csv = "order_id,email,total,occurred_at\nA,a@example.com,10,9999-01-01\nB,b@example.com,5,2026-01-01\n"
            let imported = try await ws.http.call(.post, "/api/v1/imports?type=orders", key: key, raw: csv,
                                                  headers: [.contentType: "text/csv"])
            #expect(imported.status == .created, "\(imported.text)")
            #expect(imported.json["rows_imported"] as? Int == 1)
            let rejection = try #require((imported.json["rejections"] as? [[String: Any]])?.first)
            #expect(rejection["row"] as? Int == 2)
            #expect(rejection["field"] as? String == "occurred_at")
        }
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
