import Foundation
import Hummingbird
import RapportCore
import Testing

/// Listing and exporting a survey's responses: every filter (dates, band, agent, channel, segment, text) narrows the
/// list and the CSV alike, pages stay stable, the CSV quotes what needs quoting and defuses formulas, and another
/// workspace exports nothing.
@Suite("Survey response filters and export")
struct SurveyResponseFilterTests {
    /// Four answers: Ann (detractor, Sam, email), Bob (promoter, Kim), Cara (passive, Sam, web) and Dan (promoter,
    /// Kim, a team that looks like a formula); Ann and Cara are on the `pro` plan.
    static func answered(_ http: TestHTTP, _ key: String) async throws -> (survey: String, ids: [String: String]) {
        let id = try await SurveyResponseTests.survey(http, key)
        var ids: [String: String] = [:]
        for (name, body) in [
            ("ann", ["email": "ann@example.com", "submitted_at": "2025-01-10T08:00:00Z", "channel": "email",
                     "answers": ["score": 3, "reason": "Waited a WEEK"], "attributes": ["agent": "sam"]]),
            ("bob", ["email": "bob@example.com", "submitted_at": "2025-02-10T08:00:00Z",
                     "answers": ["score": 10], "attributes": ["agent": "kim"]]),
            ("cara", ["email": "cara@example.com", "submitted_at": "2025-03-10T23:00:00Z", "channel": "web",
                      "answers": ["score": 7, "reason": "Price, \"too\" high\nreally"], "attributes": ["agent": "sam"]]),
            ("dan", ["email": "dan@example.com", "submitted_at": "2025-03-20T08:00:00Z",
                     "answers": ["score": 9], "attributes": ["agent": "kim", "team": "=HYPERLINK(\"x\")"]]),
        ] as [(String, [String: Any])] {
            let made = try await http.call(.post, "/api/v1/surveys/\(id)/responses", key: key, json: body)
            #expect(made.status == .created, "\(made.text)")
            ids[name] = made.string("id")
        }
        return (id, ids)
    }

    @Test func eachFilterNarrowsTheListAndPagesStayStable() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let (survey, ids) = try await Self.answered(http, key)
            func names(_ filter: String) async throws -> Set<String> {
                let reply = try await http.get("/api/v1/surveys/\(survey)/responses?\(filter)", key: key)
                #expect(reply.status == .ok, "\(filter): \(reply.text)")
                let found = Set(reply.data.compactMap { $0["id"] as? String })
                return Set(ids.filter { found.contains($0.value) }.keys)
            }
            #expect(try await names("") == ["ann", "bob", "cara", "dan"])
            #expect(try await names("from=2025-02-01") == ["bob", "cara", "dan"])
            #expect(try await names("to=2025-02-10") == ["ann", "bob"], "a bare date takes in its whole day")
            #expect(try await names("to=2025-02-10T07:59:59Z") == ["ann"])
            #expect(try await names("from=2025-02-01&to=2025-03-10") == ["bob", "cara"])
            #expect(try await names("band=promoter") == ["bob", "dan"])
            #expect(try await names("agent=sam") == ["ann", "cara"])
            #expect(try await names("channel=email") == ["ann"])
            #expect(try await names("channel=") == ["ann", "bob", "cara", "dan"], "empty is absent")
            #expect(try await names("q=week") == ["ann"], "text contains, case-insensitively")
            #expect(try await names("q=TOO%22%20high") == ["cara"])
            #expect(try await names("q=score").isEmpty, "question ids are not searched")
            #expect(try await names("q=%25").isEmpty, "% is a character, not a wildcard")
            #expect(try await names("agent=sam&band=passive") == ["cara"])

            // Customers in a segment now: Ann and Cara are on the pro plan.
            let plans = try await http.call(.post, "/api/v1/imports?type=customers", key: key,
                                            raw: "email,plan\nann@example.com,pro\ncara@example.com,pro\nbob@example.com,free\n",
                                            headers: [.contentType: "text/csv"])
            #expect(try await SegmentAndImportTests.finished(http, key: key, plans).string("status") == "completed")
            let segment = try await http.call(.post, "/api/v1/segments", key: key, json: [
                "name": "Pros", "rule": ["all": [["field": "trait.plan", "op": "eq", "value": "pro"]]]])
            let segmentId = try #require(segment.string("id"), "\(segment.text)")
            #expect(try await names("segment=\(segmentId)") == ["ann", "cara"])
            #expect(try await names("segment=\(segmentId)&agent=kim").isEmpty)

            for bad in ["from=yesterday", "to=2025-13-01", "channel=fax", "segment=42", "band=grumpy"] {
                #expect(try await http.get("/api/v1/surveys/\(survey)/responses?\(bad)", key: key).status == .badRequest, "\(bad)")
            }

            // One at a time, newest first, every response once; and the same under a filter.
            for (filter, expected) in [("", 4), ("agent=sam&", 2)] {
                var seen: [String] = []
                var cursor: String?
                repeat {
                    let page = try await http.get("/api/v1/surveys/\(survey)/responses?\(filter)limit=1"
                                                  + (cursor.map { "&cursor=\($0)" } ?? ""), key: key)
                    seen += page.data.compactMap { $0["id"] as? String }
                    cursor = page.string("next_cursor")
                } while cursor != nil
                #expect(seen.count == expected && Set(seen).count == expected, "\(filter)")
                #expect(seen == seen.sorted(by: >), "newest first")
            }

            // An agent given as a number is kept as its text; the list of that agent's responses and the metrics'
            // group read the same column (attribute_agent), so they hold the same responses on both databases.
            let numeric = try await http.call(.post, "/api/v1/surveys/\(survey)/responses", key: key, json: [
                "email": "eve@example.com", "submitted_at": "2025-03-21T08:00:00Z", "answers": ["score": 8],
                "attributes": ["agent": 42, "touchpoint": "checkout"]])
            #expect(numeric.status == .created, "\(numeric.text)")
            let eve = try #require(numeric.string("id"))
            #expect(try await http.get("/api/v1/surveys/\(survey)/responses?agent=42", key: key).data.compactMap { $0["id"] as? String } == [eve])
            let byAgent = try await http.get("/api/v1/metrics/nps?survey=\(survey)&from=2025-01-01&to=2025-12-31&group_by=agent", key: key)
            let group = (byAgent.json["groups"] as? [[String: Any]] ?? []).first { $0["key"] as? String == "42" }
            #expect((group?["estimate"] as? [String: Any])?["n"] as? Int == 1, "\(byAgent.text)")
        }
    }

    @Test func theExportIsQuotedCSVWithTheSameFilters() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let (survey, ids) = try await Self.answered(http, key)
            let all = try await http.get("/api/v1/surveys/\(survey)/responses.csv", key: key)
            #expect(all.status == .ok, "\(all.text)")
            #expect(all.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(all.headers[.contentDisposition]?.hasPrefix("attachment;") == true)
            let lines = all.text.components(separatedBy: "\r\n")
            #expect(lines.first == "response_id,customer_id,email,submitted_at,channel,language,version,response_score,band,"
                + "score,reason,attr_agent,attr_team,attr_touchpoint")
            #expect(all.text.hasSuffix("\r\n"))
            let dan = try #require(lines.first { $0.hasPrefix(ids["dan"] ?? "-") })
            #expect(dan.hasSuffix(",dan@example.com,2025-03-20T08:00:00.000Z,api,en,1,9,promoter,9,,kim,\"'=HYPERLINK(\"\"x\"\")\","),
                    "a formula is defused and quoted: \(dan)")

            let sam = try await http.get("/api/v1/surveys/\(survey)/responses.csv?agent=sam", key: key)
            let rows = sam.text.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
            #expect(rows.count == 2, "\(sam.text)")
            #expect(sam.text.contains("\"Price, \"\"too\"\" high\nreally\""), "commas, quotes and newlines quoted: \(sam.text)")
            #expect(sam.text.contains("Waited a WEEK,sam"))
            #expect(!sam.text.contains("bob@example.com"))

            let reader = try await acme.key(services, scope: .read)
            #expect(try await http.get("/api/v1/surveys/\(survey)/responses.csv", key: reader).status == .ok)
            let other = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            let foreign = try await http.get("/api/v1/surveys/\(survey)/responses.csv", key: other.adminKey)
            #expect(foreign.status == .notFound && !foreign.text.contains("example.com"))
            #expect(try await http.get("/api/v1/surveys/\(survey)/responses.csv?from=soon", key: key).status == .badRequest)
        }
    }
}
