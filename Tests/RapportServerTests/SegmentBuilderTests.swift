import Foundation
import HTTPTypes
import RapportCore
import RapportRuntime
import RapportServer
import Testing

/// The Segments pages' rule builder: the field picker's names come from the workspace's data, the live count (the API's
/// preview, called with the page's session and CSRF token) equals the member count once saved, errors name the JSON
/// path, and a segment is edited and deleted from its own page; analysts read rules without changing them.
@Suite("Segment rule builder")
struct SegmentBuilderTests {
    typealias Browser = BrowserSessionTests.Browser

    /// Three customers: two on the pro plan (one who logged in twice lately), one on the free plan with an order.
    static func seed(_ ws: TrackingTests.Workspace) async throws {
        let now = Date()
        func iso(_ days: Double) -> String { TrackingTests.iso(now.addingTimeInterval(-days * 86400)) }
        try await CustomerProfileTests.send(ws, [
            ["type": "identify", "userId": "p1", "traits": ["email": "p1@example.com", "plan": "pro", "seats": 12], "timestamp": iso(1)],
            ["type": "identify", "userId": "p2", "traits": ["email": "p2@example.com", "plan": "free"], "timestamp": iso(40)],
            ["type": "identify", "userId": "p3", "traits": ["email": "p3@example.com", "plan": "pro", "company_size": "50"],
             "timestamp": iso(2)],
            ["type": "track", "userId": "p1", "event": "Logged In", "timestamp": iso(1)],
            ["type": "track", "userId": "p1", "event": "Logged In", "timestamp": iso(3)],
            ["type": "track", "userId": "p3", "event": "Logged In", "timestamp": iso(80)],
            ["type": "track", "userId": "p2", "event": "Order Completed", "properties": ["order_id": "o1", "total": 20], "timestamp": iso(9)],
        ])
    }

    static var proAndActive: [String: Any] { ["all": [
        ["field": "trait.plan", "op": "eq", "value": "pro"],
        ["field": "event.Logged In.count", "op": "gte", "value": 2, "within_days": 30],
    ]] }

    /// The live count as the page's script asks for it: JSON with the session cookie and the X-CSRF-Token header.
    static func count(_ browser: inout Browser, csrf: String?, _ body: [String: Any]) async throws -> TestHTTP.Reply {
        var headers: HTTPFields = [:]
        if let csrf { headers[HTTPField.Name("X-CSRF-Token")!] = csrf }
        return try await browser.request(.post, "/api/v1/segments/preview", headers: headers, json: body)
    }

    static func json(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    static func errorField(_ reply: TestHTTP.Reply) -> String? {
        ((reply.json["error"] as? [String: Any])?["details"] as? [String: Any])?["field"] as? String
    }

    @Test func theLiveCountEqualsTheMemberCountOnceSaved() async throws {
        try await TrackingTests.run { ws, _ in
            try await Self.seed(ws)
            var browser = Browser(http: ws.http)
            try await browser.signIn()
            let page = try await browser.request(.get, "/segments")
            #expect(page.status == .ok)
            // The field picker offers the traits seen on profiles and the events tracked, by name.
            let fields = try #require(page.text.range(of: "data-fields=\"")).upperBound
            let attribute = String(page.text[fields...].prefix { $0 != "\"" }).replacingOccurrences(of: "&quot;", with: "\"")
            let names = try #require(try JSONSerialization.jsonObject(with: Data(attribute.utf8)) as? [String: [String]])
            #expect(names["traits"] == ["company_size", "email", "plan", "seats"], "\(attribute)")
            #expect(names["events"] == ["Logged In"], "orders are their own fields, not an event count")
            #expect(page.text.contains("segment-builder.js") && !page.text.contains("docs/segments.md"))
            let csrf = try #require(Browser.meta(page.text))

            let counted = try await Self.count(&browser, csrf: csrf, ["rule": Self.proAndActive, "sample_size": 0])
            #expect(counted.status == .ok, "\(counted.text)")
            #expect(counted.json["count"] as? Int == 1 && (counted.json["sample"] as? [Any])?.isEmpty == true)
            #expect(try await Self.count(&browser, csrf: nil, ["rule": Self.proAndActive]).status == .forbidden,
                    "a session's POST needs the CSRF token")
            #expect(try await ws.http.call(.post, "/api/v1/segments/preview", json: ["rule": Self.proAndActive]).status
                    == .unauthorized)

            let created = try await browser.request(.post, "/segments", form: [
                "_csrf": csrf, "name": "Active pros", "rule": try Self.json(Self.proAndActive)])
            #expect(created.status == .seeOther, "\(created.text)")
            let location = try #require(created.headers[.location])
            #expect(location.hasPrefix("/segments/") && location.hasSuffix("?done=created"))
            let id = String(location.dropFirst("/segments/".count).prefix { $0 != "?" })
            let stored = try await ws.http.get("/api/v1/segments/\(id)", key: ws.fixture.adminKey)
            #expect(stored.json["member_count"] as? Int == 1, "the count shown before saving is the member count after")
            let shown = try await browser.request(.get, location)
            #expect(shown.text.contains("Segment created"))
            #expect(shown.text.contains("Plan is pro and did Logged In at least 2 times in the last 30 days"))
            #expect(shown.text.contains(#"data-segment-id="\#(id)""#))

            // Editing: the count names the segment's current members to compare with.
            let again = try await Self.count(&browser, csrf: csrf, ["rule": ["field": "trait.plan", "op": "eq", "value": "pro"],
                                                                    "segment_id": id, "sample_size": 0])
            #expect(again.json["count"] as? Int == 2)
            #expect((again.json["segment"] as? [String: Any])?["member_count"] as? Int == 1)

            // An incomplete rule says where: the envelope's field is the condition's JSON path.
            let incomplete = try await Self.count(&browser, csrf: csrf, ["rule": ["all": [
                ["field": "trait.plan", "op": "eq", "value": "pro"], ["field": "orders.count", "op": "gte"]]]])
            #expect(incomplete.status == .unprocessableContent)
            #expect(incomplete.errorCode == "validation_failed" && Self.errorField(incomplete) == "rule.all[1].value")
            let tooMany = try await Self.count(&browser, csrf: csrf, ["rule": Self.proAndActive, "sample_size": 51])
            #expect(tooMany.status == .unprocessableContent && Self.errorField(tooMany) == "sample_size")
            let notAnId = try await Self.count(&browser, csrf: csrf, ["rule": Self.proAndActive, "segment_id": "nope"])
            #expect(notAnId.status == .unprocessableContent && Self.errorField(notAnId) == "segment_id")

            // Another workspace's segment is not found, by the page or the count.
            let other = try await Fixture.make(ws.http.services, name: "Other", ownerEmail: "owner@other.test")
            let theirs = try await ws.http.call(.post, "/api/v1/segments", key: other.adminKey, json: [
                "name": "Theirs", "rule": ["field": "trait.plan", "op": "exists"]])
            let theirId = try #require(theirs.string("id"))
            let foreign = try await Self.count(&browser, csrf: csrf, ["rule": Self.proAndActive, "segment_id": theirId])
            #expect(foreign.status == .notFound && foreign.errorCode == "not_found", "\(foreign.text)")
            #expect(try await browser.request(.get, "/segments/\(theirId)").status == .notFound)
            let foreignSave = try await browser.request(.post, "/segments/\(theirId)", form: [
                "_csrf": csrf, "name": "Mine now", "rule": try Self.json(Self.proAndActive)])
            #expect(foreignSave.status == .notFound)
        }
    }

    @Test func aSegmentIsEditedAndDeletedFromItsPageKeepingWhatWasTypedWhenRefused() async throws {
        try await TrackingTests.run { ws, _ in
            try await Self.seed(ws)
            var browser = Browser(http: ws.http)
            try await browser.signIn()
            let csrf = try #require(Browser.meta(try await browser.request(.get, "/segments").text))
            let created = try await browser.request(.post, "/segments", form: [
                "_csrf": csrf, "name": "Pros", "rule": try Self.json(["field": "trait.plan", "op": "eq", "value": "pro"])])
            let location = try #require(created.headers[.location])
            let path = String(location.prefix { $0 != "?" })

            // The list shows the rule as a sentence and links the segment's page; no JSON.
            let list = try await browser.request(.get, "/segments")
            #expect(list.text.contains(#"<a href="\#(path)">Pros</a>"#) && list.text.contains(">Plan is pro</td>"))
            #expect(!list.text.contains("&quot;field&quot;:&quot;trait.plan"), "no rule as JSON")

            // A refused edit keeps the name and rule typed, and says what is wrong next to the form.
            let badRule = #"{"all": [{"field": "trait.plan", "op": "eq", "value": "pro"}, {"field": "orders.count", "op": "gt", "value": "two"}]}"#
            let refused = try await browser.request(.post, path, form: ["_csrf": csrf, "name": "Pro buyers", "rule": badRule])
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains(#"data-field="rule.all[1].value""#) && refused.text.contains("value must be a number."))
            #expect(refused.text.contains(#"value="Pro buyers""#))
            #expect(refused.text.contains("&quot;value&quot;: &quot;two&quot;") || refused.text.contains(#""value": "two""#),
                    "the rule typed is kept")
            let unnamed = try await browser.request(.post, path, form: ["_csrf": csrf, "name": " ", "rule": badRule])
            #expect(unnamed.status == .unprocessableContent && unnamed.text.contains(#"data-field="name""#))
            let notJSON = try await browser.request(.post, path, form: ["_csrf": csrf, "name": "Pros", "rule": "{all"])
            #expect(notJSON.status == .unprocessableContent && notJSON.text.contains("The rule is not valid JSON."))
            #expect(try await browser.request(.post, path, form: ["name": "Pros", "rule": badRule]).status == .forbidden,
                    "no CSRF token, no change")

            let saved = try await browser.request(.post, path, form: [
                "_csrf": csrf, "name": "Pro buyers",
                "rule": try Self.json(["any": [["field": "trait.plan", "op": "eq", "value": "pro"],
                                               ["field": "orders.count", "op": "gte", "value": 1]]])])
            #expect(saved.status == .seeOther && saved.headers[.location] == path + "?done=saved", "\(saved.text)")
            let page = try await browser.request(.get, path + "?done=saved")
            #expect(page.text.contains("Pro buyers") && page.text.contains("Plan is pro or placed at least 1 order"))
            #expect(page.text.contains(#"data-testid="member-count">3 customers"#))

            // Deleting asks for the confirmation box; then the segment is gone.
            let unconfirmed = try await browser.request(.post, path + "/delete", form: ["_csrf": csrf])
            #expect(unconfirmed.status == .unprocessableContent && unconfirmed.text.contains("Tick the box"))
            let deleted = try await browser.request(.post, path + "/delete", form: ["_csrf": csrf, "confirm": "yes"])
            #expect(deleted.status == .seeOther && deleted.headers[.location] == "/segments")
            #expect(try await browser.request(.get, path).status == .notFound)
        }
    }

    @Test func analystsReadRulesAndCountButCannotChangeThem() async throws {
        try await TrackingTests.run { ws, services in
            try await Self.seed(ws)
            let created = try await ws.http.call(.post, "/api/v1/segments", key: ws.fixture.adminKey, json: [
                "name": "Pros", "rule": ["field": "trait.plan", "op": "eq", "value": "pro"]])
            let id = try #require(created.string("id"))
            _ = try await services.team.add(nil, workspaceId: ws.fixture.workspace.id, email: "ana@acme.test", role: .analyst,
                                            name: "Ana", password: "correct horse battery")
            var analyst = Browser(http: ws.http)
            try await analyst.signIn("ana@acme.test")
            let list = try await analyst.request(.get, "/segments")
            #expect(list.status == .ok && list.text.contains("Plan is pro"))
            #expect(!list.text.contains("create-segment") && !list.text.contains("data-rule-builder"))
            let page = try await analyst.request(.get, "/segments/\(id)")
            #expect(page.status == .ok && page.text.contains(#"data-testid="rule-json""#))
            #expect(!page.text.contains("save-segment") && !page.text.contains("delete-segment"))
            let csrf = try #require(Browser.meta(page.text))
            let rule = try Self.json(["field": "trait.plan", "op": "exists"])
            #expect(try await analyst.request(.post, "/segments", form: ["_csrf": csrf, "name": "Mine", "rule": rule]).status
                    == .forbidden)
            #expect(try await analyst.request(.post, "/segments/\(id)", form: ["_csrf": csrf, "name": "Mine", "rule": rule]).status
                    == .forbidden)
            #expect(try await analyst.request(.post, "/segments/\(id)/delete", form: ["_csrf": csrf, "confirm": "yes"]).status
                    == .forbidden)
            // Counting reads, so analysts may count (as the API's read keys may).
            let counted = try await Self.count(&analyst, csrf: csrf, ["rule": ["field": "trait.plan", "op": "exists"],
                                                                      "segment_id": id, "sample_size": 0])
            #expect(counted.status == .ok && counted.json["count"] as? Int == 3, "\(counted.text)")
            let stored = try await ws.http.get("/api/v1/segments/\(id)", key: ws.fixture.adminKey)
            #expect(stored.string("name") == "Pros")
        }
    }
}
