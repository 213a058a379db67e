import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import RapportCore
import RapportRuntime
import RapportServer
import Testing

/// Hostile and careless input at every boundary (issue 9, points 1–4): the same rule on SQLite and PostgreSQL,
/// each bad value refused with the field named, and one bad message never failing its batch.
/// Serialized: each test boots an app holding PostgreSQL connections, and the whole suite shares one server.
@Suite("Input hardening at the boundaries", .serialized)
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
            let imported = try await SegmentAndImportTests.importCSV(ws, type: "orders", csv)
            #expect(imported.string("status") == "completed", "\(imported.text)")
            #expect(imported.json["rows_imported"] as? Int == 1)
            let rejection = try #require((imported.json["rejections"] as? [[String: Any]])?.first)
            #expect(rejection["row"] as? Int == 2)
            #expect(rejection["field"] as? String == "occurred_at")
        }
    }

    // MARK: - Point 3: impossible dates

    /// One app for every date (not a parameterised test): each app holds PostgreSQL connections.
    @Test func impossibleDatesAreRefusedWithTheFieldNamed() async throws {
        try await Self.run { ws, _ in
            for date in ["2026-02-31T00:00:00Z", "2026-11-25T12:00:00+99:99", "2025-02-29", "2026-04-31T10:00:00Z"] {
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

                let csv = "order_id,email,occurred_at\nA,a@example.com,\(date)\nB-\(date),b@example.com,2026-01-01\n"
                let imported = try await SegmentAndImportTests.importCSV(ws, type: "orders", csv)
                #expect(imported.json["rows_imported"] as? Int == 1)
                #expect((imported.json["rejections"] as? [[String: Any]])?.first?["field"] as? String == "occurred_at")
            }
        }
    }

    // MARK: - Point 1: U+0000 is refused with the field named, on both databases

    @Test func aBatchWithNULMessagesStoresTheOthers() async throws {
        try await Self.run { ws, _ in
            let nul = "a\u{0}b"
            let reply = try await ws.batch([
                ["type": "identify", "messageId": "ok-1", "userId": "good", "traits": ["email": "good@example.com"]],
                ["type": "track", "messageId": "bad-event", "userId": "u1", "event": nul],
                ["type": "track", "messageId": "bad-user", "userId": nul, "event": "E"],
                ["type": "identify", "messageId": "bad-trait", "userId": "u2", "traits": ["plan": nul]],
                ["type": "identify", "messageId": "bad-key", "userId": "u3", "traits": [nul: "x"]],
                ["type": "track", "messageId": "bad-order", "userId": "u4", "event": "Order Completed",
                 "properties": ["order_id": nul, "total": 5]],
                ["type": "track", "messageId": "bad-nested", "userId": "u5", "event": "E",
                 "properties": ["items": [["sku": "ok"], ["sku": nul]]]],
                ["type": "page", "messageId": "bad-context", "anonymousId": "a6", "context": ["page": ["title": nul]]],
                ["type": "track", "messageId": "ok-2", "userId": "good", "event": "Still Stored"],
            ])
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["stored"] as? Int == 2)
            let rejected = try #require(reply.json["rejected"] as? [[String: Any]])
            #expect(rejected.map { $0["message_id"] as? String } == ["bad-event", "bad-user", "bad-trait", "bad-key", "bad-order",
                                                                     "bad-nested", "bad-context"])
            #expect(rejected.map { $0["field"] as? String } == ["event", "userId", "traits.plan", "traits.\(nul)",
                                                                "properties.order_id", "properties.items[1].sku",
                                                                "context.page.title"])
            #expect(rejected.allSatisfy { $0["code"] as? String == "validation_failed" })
            let profile = try #require(try await Self.customer(ws, email: "good@example.com"))
            let timeline = try await ws.timeline(try #require(profile["id"] as? String))
            #expect(timeline.data.map { $0["name"] as? String }.contains("Still Stored"))

            let single = try await ws.http.call(.post, "/v1/track", json: ["userId": "u", "event": nul],
                                                headers: TrackingTests.basic(ws.trackKey))
            #expect(single.status == .badRequest)
            #expect(Self.error(single) == ("invalid_message", "event"))
        }
    }

    @Test func restBodiesQueryParametersFormsAndCSVCellsRefuseNUL() async throws {
        try await Self.run { ws, _ in
            let key = ws.fixture.adminKey
            let nul = "a\u{0}b"
            let order = try await ws.http.call(.post, "/api/v1/orders", key: key, json: ["order_id": nul, "email": "a@example.com"])
            #expect(order.status == .unprocessableContent, "\(order.text)")
            #expect(Self.error(order) == ("validation_failed", "order_id"))
            let customer = try await ws.http.call(.post, "/api/v1/customers", key: key, json: ["traits": ["name": nul]])
            #expect(Self.error(customer) == ("validation_failed", "traits.name"))
            let segment = try await ws.http.call(.post, "/api/v1/segments/preview", key: key,
                                                 json: ["rule": ["field": "trait.plan", "op": "eq", "value": nul]])
            #expect(Self.error(segment) == ("validation_failed", "rule.value"))

            for (uri, field) in [("/api/v1/customers?email=a%00b", "email"), ("/api/v1/customers?search=%00", "search"),
                                 ("/api/v1/customers?limit=5&search=caf%E9", "search"), ("/api/v1/customers?na%00me=1", "na%00me")] {
                let reply = try await ws.http.get(uri, key: key)
                #expect(reply.status == .badRequest, "\(uri): \(reply.text)")
                #expect(Self.error(reply) == ("invalid_parameter", field), "\(uri)")
            }
            // Pages go through the same check (answered as an HTML page).
            let page = try await ws.http.get("/customers?search=%00", headers: [.accept: "text/html"])
            #expect(page.status == .badRequest)
            // Percent-encoded UTF-8 still works.
            #expect(try await ws.http.get("/api/v1/customers?search=caf%C3%A9", key: key).status == .ok)

            for body in ["email=a%00b%40example.com&password=x", "email=caf%E9%40example.com&password=x"] {
                let login = try await ws.http.call(.post, "/login", raw: body,
                                                   headers: [.contentType: "application/x-www-form-urlencoded"])
                #expect(login.status == .unprocessableContent, "\(body): \(login.status)")
            }

            let csv = "email,user_id,plan\nann@example.com,u-ann,pro\nbob@example.com,u-bob,x\u{0}y\ncid@example.com,u-\u{0},free\n"
            let imported = try await SegmentAndImportTests.importCSV(ws, type: "customers", csv)
            #expect(imported.string("status") == "completed", "\(imported.text)")
            #expect(imported.json["rows_imported"] as? Int == 1)
            let rejections = try #require(imported.json["rejections"] as? [[String: Any]])
            #expect(rejections.map { $0["row"] as? Int } == [3, 4])
            #expect(rejections.map { $0["field"] as? String } == ["plan", "user_id"])
        }
    }

    // MARK: - Point 4: no lossy normalisation

    @Test func invalidUTF8IsRefusedEverywhereInsteadOfMerged() async throws {
        try await Self.run { ws, _ in
            let key = ws.fixture.adminKey
            // Two user ids that differ only in a byte that is not UTF-8: before, both became "u-\u{FFFD}".
            for byte: UInt8 in [0xE9, 0xE8] {
                let body = Array(#"{"batch":[{"type":"identify","userId":"u-"#.utf8) + [byte] + Array(#"","traits":{"plan":"x"}}]}"#.utf8)
                let reply = try await Self.send(ws, "/v1/batch", bytes: body, headers: TrackingTests.basic(ws.trackKey))
                #expect(reply.status == .badRequest)
                #expect(Self.error(reply).code == "invalid_json")
                #expect(reply.text.contains("UTF-8"))
            }
            #expect(try await ws.http.get("/api/v1/customers", key: key).data.isEmpty)

            let order = Array(#"{"order_id":"o-"#.utf8) + [0xFF] + Array(#"","email":"a@example.com"}"#.utf8)
            let orderReply = try await Self.send(ws, "/api/v1/orders", bytes: order,
                                                 headers: [.authorization: "Bearer \(key)", .contentType: "application/json"])
            #expect(orderReply.status == .badRequest)
            #expect(Self.error(orderReply).code == "invalid_json")

            let csv = Array("email,user_id\nann@example.com,caf".utf8) + [0xE9] + Array("\nbob@example.com,caf".utf8) + [0xE8]
                + Array("\ncid@example.com,cid\n".utf8)
            let posted = try await Self.send(ws, "/api/v1/imports?type=customers", bytes: csv,
                                             headers: [.authorization: "Bearer \(key)", .contentType: "text/csv"])
            #expect(posted.status == .accepted, "\(posted.text)")
            let imported = try await SegmentAndImportTests.finished(ws.http, key: key, posted)
            #expect(imported.string("status") == "completed", "\(imported.text)")
            #expect(imported.json["rows_imported"] as? Int == 1)
            let rejections = try #require(imported.json["rejections"] as? [[String: Any]])
            #expect(rejections.map { $0["row"] as? Int } == [2, 3])
            #expect(rejections.map { $0["field"] as? String } == ["user_id", "user_id"])
        }
    }

    @Test func numericIdsKeepTheirExactDigits() async throws {
        try await Self.run { ws, _ in
            let key = ws.fixture.adminKey
            // 2^53 + 1 and 2^53 are one Double: before, both users ended on one profile as "9007199254740992.0".
            let body = #"{"batch":[{"type":"identify","userId":9007199254740993,"traits":{"email":"odd@example.com","big":123456789012345678901234567890}},"#
                + #"{"type":"identify","userId":9007199254740992,"traits":{"email":"even@example.com"}},"#
                + #"{"type":"track","userId":9007199254740993,"event":"Order Completed","properties":{"order_id":90071992547409931,"total":1}},"#
                + #"{"type":"track","userId":9007199254740992,"event":"Order Completed","properties":{"order_id":90071992547409932,"total":1}}]}"#
            let reply = try await Self.send(ws, "/v1/batch", bytes: Array(body.utf8), headers: TrackingTests.basic(ws.trackKey))
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["stored"] as? Int == 4)
            let odd = try #require(try await Self.customer(ws, email: "odd@example.com"))
            let even = try #require(try await Self.customer(ws, email: "even@example.com"))
            #expect(odd["id"] as? String != even["id"] as? String)
            func userIds(_ profile: [String: Any]) -> [String] {
                (profile["identifiers"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "user_id" }
                    .compactMap { $0["value"] as? String }
            }
            #expect(userIds(odd) == ["9007199254740993"])
            #expect(userIds(even) == ["9007199254740992"])
            #expect((odd["purchases"] as? [String: Any])?["order_count"] as? Int == 1)
            #expect((even["purchases"] as? [String: Any])?["order_count"] as? Int == 1)
            // A large number trait is written back with its digits.
            let raw = try await ws.http.get("/api/v1/customers/\(try #require(odd["id"] as? String))", key: key)
            #expect(raw.text.contains("\"big\":123456789012345678901234567890"))

            for number in ["1e309", String(repeating: "7", count: 400)] {
                let bad = #"{"userId":"u","event":"E","properties":{"n":"# + number + "}}"
                let reply = try await Self.send(ws, "/v1/track", bytes: Array(bad.utf8), headers: TrackingTests.basic(ws.trackKey))
                #expect(reply.status == .badRequest, "\(number.prefix(10))")
                #expect(Self.error(reply).code == "invalid_json")
            }
        }
    }
}
