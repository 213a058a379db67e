import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import RapportCore
import RapportRuntime
import RapportServer
import Testing

@Suite("Segments and CSV imports")
struct SegmentAndImportTests {
    /// Posts `csv` as `text/csv`; when it is accepted (`202`), waits for the import to finish and returns it as
    /// `GET /api/v1/imports/{id}` then answers; a refusal is returned as it is.
    static func importCSV(_ ws: TrackingTests.Workspace, type: String, _ csv: String) async throws -> TestHTTP.Reply {
        let posted = try await ws.http.call(.post, "/api/v1/imports?type=\(type)", key: ws.fixture.adminKey, raw: csv,
                                            headers: [.contentType: "text/csv"])
        return try await finished(ws.http, key: ws.fixture.adminKey, posted)
    }

    /// The import an accepted upload (`posted`) started, once it has finished: polls its `Location` as a client would.
    static func finished(_ http: TestHTTP, key: String, _ posted: TestHTTP.Reply,
                         timeout: Duration = .seconds(60)) async throws -> TestHTTP.Reply {
        guard posted.status == .accepted else { return posted }
        let location = try #require(posted.headers[.location], "a 202 names the import's address")
        let deadline = ContinuousClock.now + timeout
        while true {
            let reply = try await http.get(location, key: key)
            if ["completed", "failed"].contains(reply.string("status")) { return reply }
            guard ContinuousClock.now < deadline else {
                Issue.record("the import did not finish in \(timeout): \(reply.text)")
                return reply
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func importKeepsGoodRowsAndReportsBadOnesByRowNumber() async throws {
        try await TrackingTests.run { ws, _ in
            let csv = """
                Email,User ID,Name,Plan,City
                ann@example.com,u1,Ann,pro,Oslo
                not-an-email,u2,Bob,free,Rome
                "cara@example.com",u3,"Cara, Jr.",free,"New
                York"
                ,,,,
                dan@example.com,u4,"Dan ""D"" Doe",pro,Lima,extra
                ann@example.com,u1,Ann Lee,team,Oslo

                """
            let reply = try await Self.importCSV(ws, type: "customers", csv)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.string("status") == "completed")
            #expect(reply.json["rows_imported"] as? Int == 3)
            #expect(reply.json["rows_rejected"] as? Int == 2)
            let rejections = try #require(reply.json["rejections"] as? [[String: Any]])
            // Rows are records as a spreadsheet numbers them: Cara's two-line cell is one row; the blank row still counts.
            #expect(rejections.map { $0["row"] as? Int } == [3, 6])
            #expect(rejections.first?["field"] as? String == "email")
            let customers = try await ws.http.get("/api/v1/customers", key: ws.fixture.adminKey).data
            #expect(customers.count == 2)
            let ann = try #require(try await ws.customers(search: "ann@example.com").first)
            #expect((ann["traits"] as? [String: Any])?["plan"] as? String == "team", "upsert by email/user id")
            let cara = try #require(try await ws.customers(search: "cara").first)
            #expect((cara["traits"] as? [String: Any])?["city"] as? String == "New\nYork")
            let id = try #require(reply.string("id"))
            let status = try await ws.http.get("/api/v1/imports/\(id)", key: ws.fixture.adminKey)
            #expect(status.json["rows_read"] as? Int == 5)

            let orders = """
                order_id,email,total,currency,occurred_at,product_id,product_name,price,quantity
                O-1,ann@example.com,30,usd,2026-01-05,p1,Mug,10,1
                O-1,ann@example.com,30,usd,2026-01-05,p2,Tea,20,1
                O-2,ann@example.com,abc,usd,2026-02-01,p1,Mug,10,1
                O-3,zed@example.com,15,EUR,2026-03-01T10:00:00Z,p9,Pen,15,1
                """
            let ordersReply = try await Self.importCSV(ws, type: "orders", orders)
            #expect(ordersReply.json["rows_imported"] as? Int == 3)
            #expect((ordersReply.json["rejections"] as? [[String: Any]])?.map { $0["row"] as? Int } == [4])
            let annOrders = try await ws.http.get("/api/v1/customers/\(ann["id"] as! String)/orders", key: ws.fixture.adminKey)
            #expect(annOrders.data.count == 1)
            #expect((annOrders.data.first?["products"] as? [Any])?.count == 2)

            let noHeader = try await Self.importCSV(ws, type: "customers", "name,plan\nAnn,pro\n")
            #expect(noHeader.status == .unprocessableContent)
            #expect((noHeader.json["error"] as? [String: Any]).flatMap { $0["message"] as? String }
                    == "The header needs an email or user_id column to match customers.")
            let empty = try await Self.importCSV(ws, type: "customers", "")
            #expect(empty.status == .unprocessableContent)
            let untyped = try await ws.http.call(.post, "/api/v1/imports?type=customers", key: ws.fixture.adminKey, raw: "email\n")
            #expect(untyped.status == .unsupportedMediaType)
            #expect(try await Self.importCSV(ws, type: "people", "email\n").status == .unprocessableContent)
        }
    }

    @Test func segmentRulesSelectExactlyTheMatchingCustomers() async throws {
        try await TrackingTests.run { ws, services in
            let now = Date()
            func iso(_ days: Double) -> String { TrackingTests.iso(now.addingTimeInterval(-days * 86400)) }
            try await CustomerProfileTests.send(ws, [
                ["type": "identify", "userId": "p1", "traits": ["email": "p1@example.com", "plan": "pro", "age": 40], "timestamp": iso(1)],
                ["type": "identify", "userId": "p2", "traits": ["email": "p2@example.com", "plan": "free", "age": "25"], "timestamp": iso(40)],
                ["type": "identify", "userId": "p3", "traits": ["email": "p3@corp.test", "plan": "pro"], "timestamp": iso(2)],
                ["type": "track", "userId": "p1", "event": "Logged In", "timestamp": iso(1)],
                ["type": "track", "userId": "p1", "event": "Logged In", "timestamp": iso(2)],
                ["type": "track", "userId": "p1", "event": "Logged In", "timestamp": iso(60)],
                ["type": "track", "userId": "p3", "event": "Logged In", "timestamp": iso(3)],
                ["type": "track", "userId": "p1", "event": "Order Completed", "properties": ["order_id": "1", "total": 500], "timestamp": iso(5)],
                ["type": "track", "userId": "p1", "event": "Order Completed", "properties": ["order_id": "2", "total": 300], "timestamp": iso(3)],
                ["type": "track", "userId": "p2", "event": "Order Completed", "properties": ["order_id": "3", "total": 20], "timestamp": iso(90)],
            ])
            let key = ws.fixture.adminKey
            func members(_ rule: [String: Any]) async throws -> Set<String> {
                let preview = try await ws.http.call(.post, "/api/v1/segments/preview", key: key, json: ["rule": rule])
                #expect(preview.status == .ok, "\(preview.text)")
                let emails = (preview.json["sample"] as? [[String: Any]] ?? []).compactMap { $0["email"] as? String }
                #expect(preview.json["count"] as? Int == emails.count)
                return Set(emails)
            }
            #expect(try await members(["field": "trait.plan", "op": "eq", "value": "pro"]) == ["p1@example.com", "p3@corp.test"])
            #expect(try await members(["not": ["field": "trait.plan", "op": "eq", "value": "pro"]]) == ["p2@example.com"])
            #expect(try await members(["field": "trait.age", "op": "gt", "value": 30]) == ["p1@example.com"])
            #expect(try await members(["field": "trait.email", "op": "contains", "value": "corp"]) == ["p3@corp.test"])
            #expect(try await members(["field": "trait.age", "op": "exists"]) == ["p1@example.com", "p2@example.com"])
            #expect(try await members(["field": "trait.plan", "op": "in", "value": ["free", "team"]]) == ["p2@example.com"])
            #expect(try await members(["field": "event.Logged In.count", "op": "gte", "value": 2, "within_days": 30])
                    == ["p1@example.com"])
            #expect(try await members(["field": "event.Logged In.count", "op": "gte", "value": 1, "within_days": 30])
                    == ["p1@example.com", "p3@corp.test"])
            #expect(try await members(["all": [["field": "orders.count", "op": "gte", "value": 1],
                                               ["field": "orders.last_order_at", "op": "within_days", "value": 30]]])
                    == ["p1@example.com"])
            #expect(try await members(["field": "orders.revenue", "op": "gt", "value": 100]) == ["p1@example.com"])
            #expect(try await members(["field": "last_seen_at", "op": "before", "value": iso(20)]) == ["p2@example.com"])
            #expect(try await members(["any": [["field": "rfm.score", "op": "gte", "value": 13],
                                               ["field": "trait.plan", "op": "eq", "value": "free"]]])
                    == ["p1@example.com", "p2@example.com"])
            #expect(try await members(["field": "rfm.score", "op": "eq", "value": 0]) == ["p3@corp.test"])

            let bad = try await ws.http.call(.post, "/api/v1/segments/preview", key: key,
                                             json: ["rule": ["all": [["field": "trait.plan", "op": "lt", "value": "x"]]]])
            #expect(bad.status == .unprocessableContent)
            #expect((bad.json["error"] as? [String: Any]).flatMap { $0["details"] as? [String: String] } == ["field": "rule.all[0].value"])

            let created = try await ws.http.call(.post, "/api/v1/segments", key: key, json: [
                "name": "Active pros", "rule": ["all": [["field": "trait.plan", "op": "eq", "value": "pro"],
                                                        ["field": "event.Logged In.count", "op": "gte", "value": 1, "within_days": 7]]]])
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["member_count"] as? Int == 2)
            let segmentId = try #require(created.string("id"))
            let listed = try await ws.http.get("/api/v1/segments/\(segmentId)/members", key: key)
            #expect(Set(listed.data.compactMap { $0["email"] as? String }) == ["p1@example.com", "p3@corp.test"])
            let filtered = try await ws.http.get("/api/v1/customers?segment_id=\(segmentId)", key: key)
            #expect(filtered.data.count == 2)

            // New data changes membership at the next refresh.
            try await CustomerProfileTests.send(ws, [["type": "identify", "userId": "p3", "traits": ["plan": "free"]]])
            #expect(try await services.segments.refreshAll() == 1)
            let after = try await ws.http.get("/api/v1/segments/\(segmentId)/members", key: key)
            #expect(after.data.compactMap { $0["email"] as? String } == ["p1@example.com"])
            let renamed = try await ws.http.call(.patch, "/api/v1/segments/\(segmentId)", key: key, json: ["name": "Active"])
            #expect(renamed.string("name") == "Active")
            #expect(try await ws.http.call(.delete, "/api/v1/segments/\(segmentId)", key: key).status == .noContent)
            #expect(try await ws.http.get("/api/v1/segments/\(segmentId)", key: key).status == .notFound)
        }
    }
}
